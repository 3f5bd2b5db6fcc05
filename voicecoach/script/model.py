"""The programme as validated, immutable data (the loader's output)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from voicecoach.errors import ScriptWarning, SourceLocation

OptionValue = str | int | float | bool
"""The value of one engine option."""


@dataclass(frozen=True)
class Voice:
    """Which speech engine speaks, with which voice, at what rate and with what options."""

    engine: str | None = None
    """Registered engine name (see `voicecoach voices`); None: the best voice installed
    for the programme's language (pipeline.load decides)."""
    name: str | None = None
    """Engine-specific voice name or id (e.g. "en-gb"); None: the language's default."""
    rate: int | None = None
    """Words per minute; None: the engine's default."""
    options: tuple[tuple[str, OptionValue], ...] = ()
    """Engine-specific settings from `voice: {options: ...}`, sorted by key (the engine
    checks them)."""
    source: SourceLocation | None = field(default=None, compare=False)
    """Where the programme sets the voice (None when the command line chose it)."""
    sources: Mapping[str, SourceLocation] = field(default_factory=dict, compare=False)
    """Where each setting is written ("rate", "options.KEY"); only the programme's."""

    def option_map(self) -> dict[str, OptionValue]:
        """The options as a dict."""
        return dict(self.options)

    def where(self, setting: str) -> SourceLocation | None:
        """Where SETTING ("rate", "options.KEY") was written, else None."""
        return self.sources.get(setting)


@dataclass(frozen=True)
class Tempo:
    """Seconds per phase of one rep: up - hold at the top - down [- pause]."""

    up: float
    """Lifting (concentric) phase."""
    hold: float
    """Pause at the top."""
    down: float
    """Lowering (eccentric) phase."""
    pause: float = 0.0
    """Pause at the bottom before the next rep."""

    @property
    def period(self) -> float:
        """Seconds from one rep's start to the next."""
        return self.up + self.hold + self.down + self.pause

    @property
    def active(self) -> float:
        """Seconds of movement in a rep (the trailing pause excluded)."""
        return self.up + self.hold + self.down

    def __str__(self) -> str:
        phases = [self.up, self.hold, self.down] + ([self.pause] if self.pause else [])
        return "-".join(f"{p:g}" for p in phases)


@dataclass(frozen=True)
class RepsDose:
    """Counted reps moved to a tempo."""

    reps: int
    """Reps per set."""
    tempo: Tempo
    """Phase lengths of each rep (the default tempo when the script gives none)."""


@dataclass(frozen=True)
class HoldDose:
    """Isometric reps: hold each rep, then relax before the next."""

    reps: int
    """Holds per set."""
    hold: float
    """Seconds each hold lasts."""
    relax: float
    """Seconds of relaxing between holds."""
    lead_in: float = 2.0
    """Seconds to move into the held position before the hold's time starts."""

    @property
    def active(self) -> float:
        """Seconds from a rep's start to the end of its hold."""
        return self.lead_in + self.hold

    @property
    def period(self) -> float:
        """Seconds from one hold's start to the next."""
        return self.lead_in + self.hold + self.relax


@dataclass(frozen=True)
class TimedDose:
    """One timed bout of work per set (e.g. a 30-second plank)."""

    work: float
    """Seconds of work per set."""


Dose = RepsDose | HoldDose | TimedDose


@dataclass(frozen=True)
class Exercise:
    """One exercise with everything a therapist would say about it, and its dose."""

    name: str
    """Spoken and shown as the chapter title."""
    dose: Dose
    """What is done in each set."""
    sets: int = 1
    """Sets per side (or in total when the exercise has no sides)."""
    equipment: tuple[str, ...] = ()
    """What is needed (announced in the intro)."""
    setup: tuple[str, ...] = ()
    """Starting position, said before the first set."""
    cues: tuple[str, ...] = ()
    """How to move, said once before the first rep."""
    reminders: tuple[str, ...] = ()
    """Said one at a time during the sets, rotating."""
    caution: str | None = None
    """A safety warning, said before the cues."""
    sides: tuple[str, ...] = ()
    """Sides worked in order: ("left", "right"), ("right", "left"), one of them, or none."""
    side_means: str = "side"
    """What a side names: side, leg, arm, lying_on, or a wording with {side}/{other}."""
    alternate_sides: bool = False
    """Alternate sides set by set instead of all sets on the first side first."""
    alternate_reps: bool = False
    """Change sides every rep (bird dog): both sides in each set, counted per pair."""
    rest: float = 30.0
    """Seconds from the end of a set to the start of the next."""
    side_rest: float = 10.0
    """Seconds to change sides."""
    countdown: int = 3
    """Seconds of count-in before each set (0: none)."""
    transition: float = 15.0
    """Seconds of rest after the exercise before the next one (none after the last)."""
    tempo_words: tuple[str, str] | None = None
    """Words for the two movement phases, e.g. ("lift", "lower"); None: the pack's up/down."""
    count: str = "end"
    """When a rep's number is said: at its start, at the top, or at its end."""
    reminder_phases: tuple[tuple[str, str], ...] = ()
    """(reminder, phase) for each reminder said only in one phase of the rep."""
    source: SourceLocation | None = None
    """Where the exercise is written (for messages)."""
    library_id: str | None = None
    """The `use:` id when the exercise comes from the library."""
    phrases: tuple[tuple[str, str], ...] = ()
    """Own wording for generated phrases, (key, wording) pairs (library under exercise)."""
    image: Path | None = None
    """A picture of the position (resolved path), shown on the player page and handout."""
    pronounce: tuple[tuple[str, str], ...] = ()
    """(word, spelling) pairs a library exercise gives for what the engine hears."""

    @property
    def movements(self) -> int:
        """Movements in one set: the reps, twice over when sides alternate every rep."""
        if isinstance(self.dose, TimedDose):
            return 1
        return self.dose.reps * (2 if self.alternate_reps else 1)


TONE_CHOICES = ("standard", "soft", "none")
"""`tones:` names; anything else is a folder of the programme's own tones. With
"none" no tone sounds: the voice calls each phase of the rhythm."""
DEFAULT_TONE_LEVEL = -8.0
"""Loudness of the tones relative to the voice (dB)."""
DEFAULT_MUSIC_LEVEL = -18.0
"""Loudness of the music bed between spoken lines relative to the voice (dB)."""
DEFAULT_MUSIC_DUCK = 15.0
"""How far the music goes down under every spoken line (dB)."""


@dataclass(frozen=True)
class Sound:
    """What the track sounds like besides the voice: the tones and a music bed."""

    tones: str = "standard"
    """"standard", "soft", "none" (the voice carries the rhythm) or "folder"."""
    tone_folder: Path | None = None
    """The folder of the programme's own tones when ``tones`` is "folder" (resolved)."""
    tone_level: float = DEFAULT_TONE_LEVEL
    """Loudness of each tone relative to the voice, dB."""
    music: Path | None = None
    """A music file to play under the whole session (resolved), or None."""
    music_level: float = DEFAULT_MUSIC_LEVEL
    """Loudness of the music between spoken lines relative to the voice, dB."""
    music_duck: float = DEFAULT_MUSIC_DUCK
    """dB the music goes down under every spoken line."""
    tones_source: SourceLocation | None = field(default=None, compare=False)
    """Where `tones:` is written (None: the default)."""
    music_source: SourceLocation | None = field(default=None, compare=False)
    """Where `music:` is written (None: no music, or `--music`)."""

    @property
    def voiced(self) -> bool:
        """True with `tones: none`: no tone sounds, the voice calls each phase."""
        return self.tones == "none"


@dataclass(frozen=True)
class Programme:
    """A whole session: a title and exercises in order."""

    title: str
    """Said in the intro; the track's title."""
    exercises: tuple[Exercise, ...]
    """At least one exercise."""
    language: str = "en"
    """Phrase pack for generated announcements."""
    voice: Voice = Voice()
    """Speech engine settings."""
    intro: bool = True
    """Say title, length and equipment at the start."""
    source: Path | None = None
    """The programme file."""
    library: Path | None = None
    """Folder of exercise files `use:` looks in (resolved)."""
    warnings: tuple[ScriptWarning, ...] = field(default=(), compare=False)
    """Located slips in the files that are probably not what was meant (not errors)."""
    phrases: tuple[tuple[str, str], ...] = ()
    """Own wording for generated phrases, (key, wording) pairs, under every exercise's."""
    recordings: Path | None = None
    """Folder of recorded clips replacing synthesised lines (see speech/recordings.py)."""
    pronounce: tuple[tuple[str, str], ...] = ()
    """(word, spelling) pairs: what the engine hears instead of the word (never captions)."""
    sound: Sound = Sound()
    """Tones and music."""
    author: str | None = None
    """Who made the programme (a therapist, a clinic): the track's artist."""

    @property
    def equipment(self) -> tuple[str, ...]:
        """Everything needed, each item once, in order of first mention."""
        return tuple(dict.fromkeys(item for ex in self.exercises for item in ex.equipment))
