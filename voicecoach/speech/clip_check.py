"""Is a freshly synthesised clip the engine's real answer? Checked before it is cached.

Two checks, neither specific to an engine (each engine tunes them with its
`clip_check`, a `ClipCheck` from `speech/base.py`):

- **length against the rate**: a phrase of enough syllables lasts roughly what its
  syllables at the voice's words-per-minute imply; a clip far outside that band (e.g.
  spoken at another rate, cut off, or of another phrase) is suspect;
- **a second synthesis**: a short clip (where a text-based estimate says little) and any
  suspect clip is spoken again; it is accepted only when two syntheses agree in length
  within the engine's tolerance, so a one-off wrong clip is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.base import Clip, ClipCheck, quote_phrase

MIN_SYLLABLES = 6
"""Shorter phrases get no length check: their estimate says too little."""
SYLLABLES_PER_WORD = 1.45
"""Average syllables per word at which a words-per-minute rate is counted."""
_WORDS = re.compile(r"\d+|[^\W\d_]+")
_VOWELS = re.compile(r"[aeiouyàáâãäåæèéêëìíîïòóôõöøœùúûüý]+")
_PAUSES = re.compile(r"[,;:.!?]\s+\S")


def syllables(text: str) -> float:
    """A rough syllable count (vowel groups; digits ~1.6 each; a pause per clause)."""
    count = 0.0
    for word in _WORDS.findall(text):
        if word.isdigit():
            count += 1.6 * len(word)
        elif word.isascii() or _VOWELS.search(word.lower()):
            count += max(1, len(_VOWELS.findall(word.lower())))
        else:  # a script without Latin vowels: about one syllable per two letters
            count += max(1.0, len(word) / 2)
    return count + len(_PAUSES.findall(text))


def expected_seconds(text: str, rate: int) -> float:
    """How long TEXT lasts at RATE words per minute, by its syllables."""
    return syllables(text) * 60.0 / (rate * SYLLABLES_PER_WORD)


def length_problem(text: str, voice: Voice, clip: Clip, check: ClipCheck) -> str | None:
    """Why CLIP's length doesn't fit TEXT at the voice's rate, or None (also when
    the phrase is too short to tell or the engine has no rate)."""
    rate = voice.rate or check.default_rate
    if rate is None or syllables(text) < MIN_SYLLABLES:
        return None
    expected = expected_seconds(text, rate)
    ratio = clip.duration / expected
    low, high = check.band
    if low <= ratio <= high:
        return None
    return (
        f"it lasts {clip.duration:.2f} s where {rate} words a minute imply about {expected:.2f} s"
    )


def agree(a: Clip, b: Clip, tolerance: float) -> bool:
    """Whether two syntheses of one phrase have the same length within TOLERANCE."""
    return abs(len(a) - len(b)) <= max(1, tolerance * max(len(a), len(b)))


def confirmed_clip(
    text: str,
    voice: Voice,
    synthesize: Callable[[], Clip],
    check: ClipCheck,
    engine_name: str,
) -> tuple[Clip, int]:
    """A clip of TEXT that passed the checks, and how many syntheses agreed on it (1 when
    one was enough). SpeechError naming the phrase if no two syntheses agree."""
    first = synthesize()
    problem = length_problem(text, voice, first, check)
    if problem is None and first.duration >= check.repeat_below:
        return first, 1
    clips = [first]
    while len(clips) < max(2, check.attempts):
        clip = synthesize()
        for earlier in clips:
            if agree(earlier, clip, check.repeat_tolerance):
                return earlier, 2
        clips.append(clip)
    lengths = ", ".join(f"{c.duration:.3f} s" for c in clips)
    why = f"; {problem}" if problem else ""
    raise SpeechError(
        f"{engine_name} gave a different clip for {quote_phrase(text)} each time "
        f"({lengths}){why}; nothing was cached"
    )
