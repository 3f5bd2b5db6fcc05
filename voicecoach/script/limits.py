"""Bounds that keep a typo from producing an absurd track."""

from __future__ import annotations

MAX_EXERCISES = 100
"""Exercises in one programme."""
MAX_SETS = 20
"""Sets per side of one exercise."""
MAX_REPS = 200
"""Reps (or holds) per set."""
MAX_WORK_SECONDS = 30 * 60.0
"""Longest timed set."""
MAX_HOLD_SECONDS = 10 * 60.0
"""Longest single hold or relax."""
MAX_TEMPO_PHASE_SECONDS = 60.0
"""Longest phase of a tempo."""
MIN_TEMPO_PHASE_SECONDS = 0.5
"""Shortest phase of a tempo that is not 0 (its tone needs room; nobody moves faster)."""
MAX_REST_SECONDS = 30 * 60.0
"""Longest rest or side change."""
MAX_COUNTDOWN = 10
"""Longest count-in, in seconds."""
MAX_TEXT_CHARS = 600
"""Longest single spoken line (setup, cue, reminder, caution, name)."""
MAX_LINES = 50
"""Most lines in one list (setup, cues, reminders, equipment)."""
MAX_SESSION_SECONDS = 4 * 3600.0
"""Longest whole session."""
MAX_EVENTS = 100_000
"""Most sounds (spoken lines and tones) in one session; a session within the other
limits has far fewer, so this only stops a runaway build early."""
MAX_WARNINGS = 20
"""Most plan warnings listed; the rest are counted in one more line."""
MAX_RATE = 1000
"""Highest `voice.rate` read (each engine then checks its own range)."""
