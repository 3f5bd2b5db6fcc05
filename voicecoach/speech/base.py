"""The speech engine protocol and the audio clip it returns.

An engine is one class that has the members of SpeechEngine, plus one line in
`speech/registry.py`. Everything that shapes its sound (its own version, a model
file's hash, the voice, rate and options) goes into `sound_key`, which is part of
every phrase-cache key, so a change to any of them re-synthesises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from voicecoach.errors import SpeechError, VoiceSettingError
from voicecoach.script.model import Voice
from voicecoach.wavio import SAMPLE_RATE


@dataclass(frozen=True, eq=False)
class Clip:
    """A mono piece of audio; the samples are stored read-only."""

    samples: np.ndarray
    """float32 mono samples in -1..1 (a read-only 1-D array)."""
    sample_rate: int
    """Samples per second (engines hand the rest of voicecoach 44100 Hz clips)."""
    content: str = ""
    """A name for exactly these samples (the phrase cache's digest of its entry's
    PCM), so their stored levels are found without hashing them; "" if unknown."""

    def __post_init__(self) -> None:
        samples = np.asarray(self.samples)
        if samples.ndim != 1:
            raise ValueError(f"a Clip is mono: expected 1-D samples, got shape {samples.shape}")
        if samples.dtype != np.float32 or samples.flags.writeable:
            samples = samples.astype(np.float32)  # a private copy
            samples.flags.writeable = False
        if self.sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {self.sample_rate}")
        object.__setattr__(self, "samples", samples)

    @property
    def duration(self) -> float:
        """Length in seconds: sample count / sample rate (sample-exact)."""
        return len(self.samples) / self.sample_rate

    def __len__(self) -> int:
        return len(self.samples)


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers (what `voicecoach voices` lists)."""

    id: str
    """What to write as `voice: {name: ...}` to choose this voice."""
    name: str
    """A human-readable name (e.g. "English (Great Britain)")."""
    languages: tuple[str, ...]
    """Language tags the voice speaks, lower case (e.g. ("en-gb",))."""
    engine: str
    """Registered name of the engine offering the voice."""
    quality: str = "formant"
    """How it sounds: "neural" (natural, e.g. Piper) or "formant" (clear but robotic)."""


@dataclass(frozen=True)
class OptionSpec:
    """One setting an engine accepts in `voice: {options: ...}`."""

    kind: type
    """int, float, str or bool."""
    help: str
    """What it does, for error messages and `voicecoach voices`."""
    minimum: float | None = None
    """Lowest number accepted (numbers only)."""
    maximum: float | None = None
    """Highest number accepted (numbers only)."""

    def problem(self, value: object) -> str | None:
        """Why VALUE is not accepted, or None."""
        if self.kind is bool:
            return None if isinstance(value, bool) else "expected true or false"
        if self.kind is str:
            return None if isinstance(value, str) else "expected text"
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (self.kind is int and not float(value).is_integer()):
            return f"expected {'a whole number' if self.kind is int else 'a number'}"
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return f"expected a number from {low:g} to {high:g}, got {value:g}"
        return None


@dataclass(frozen=True)
class ClipCheck:
    """How an engine's new clips are checked before they are cached (`speech/clip_check.py`)."""

    default_rate: int | None = None
    """Words per minute when the voice sets none; None: the engine has no rate to check
    (the length check is skipped, the second synthesis still applies)."""
    band: tuple[float, float] = (0.45, 1.6)
    """Allowed range of a clip's length over what its syllables at the rate imply."""
    repeat_below: float = 1.5
    """Clips shorter than this (seconds) are always synthesised a second time."""
    repeat_tolerance: float = 0.02
    """How much two syntheses of one phrase may differ in length (a fraction)."""
    attempts: int = 3
    """Syntheses at most before a phrase whose clips never agree is an error."""


@runtime_checkable
class SpeechEngine(Protocol):
    """Turns text into a 44100 Hz mono clip, trimmed of leading and trailing silence."""

    name: str
    """The registered name."""
    rates: tuple[int, int]
    """Lowest and highest `voice.rate` (words per minute) the engine speaks."""
    voice_options: Mapping[str, OptionSpec]
    """The `voice: {options: ...}` settings it understands, by key."""
    clip_check: ClipCheck
    """How its clips are checked before caching: its default rate, how far a clip may
    stray from its rate, and how much two syntheses of a phrase may differ."""

    def check(self) -> None:
        """Raise SpeechError (one line, with the install command) if the engine can't run."""

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        """The voices on offer, optionally only those speaking LANGUAGE (e.g. "en")."""

    def sound_key(self, voice: Voice) -> list[Any]:
        """JSON-able: everything besides the text that shapes the clip of VOICE."""

    def synthesize(self, text: str, voice: Voice) -> Clip:
        """Speak TEXT with VOICE; raise SpeechError naming the phrase on failure."""

    def close(self) -> None:
        """Release processes and files; the engine may be used again afterwards."""


def check_settings(engine: SpeechEngine, voice: Voice) -> None:
    """VoiceSettingError if ENGINE cannot speak VOICE's rate or options."""
    low, high = engine.rates
    if voice.rate is not None and not low <= voice.rate <= high:
        raise VoiceSettingError(
            "rate", f"{engine.name} speaks {low} to {high} words a minute, not {voice.rate}"
        )
    for key, value in voice.options:
        spec = engine.voice_options.get(key)
        if spec is None:
            known = ", ".join(sorted(engine.voice_options)) or "none"
            raise VoiceSettingError(
                f"options.{key}", f"{engine.name} has no option '{key}' (its options: {known})"
            )
        problem = spec.problem(value)
        if problem:
            raise VoiceSettingError(f"options.{key}", f"{problem} ({spec.help})")


def voice_key(voice: Voice) -> list[Any]:
    """The part of a sound key every engine shares: voice name, rate and options."""
    return [voice.name, voice.rate, [list(item) for item in voice.options]]


SECONDS_PER_CHAR = 0.06
"""Rough speaking time per character (about 160 words a minute)."""
SECONDS_BASE = 0.15
"""Rough time of any phrase besides its characters."""


def estimate_samples(text: str) -> int:
    """A phrase's length guessed from its text, in samples (the fake engine's exact length)."""
    return round((SECONDS_PER_CHAR * len(text) + SECONDS_BASE) * SAMPLE_RATE)


def estimate_duration(text: str) -> float:
    """Seconds a phrase is guessed to last: lists the phrases of a plan before synthesis."""
    return estimate_samples(text) / SAMPLE_RATE


def quote_phrase(text: str, limit: int = 60) -> str:
    """The phrase in double quotes for an error message, shortened if long."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 3].rstrip() + "..."
    return f'"{flat}"'


def language_matches(tags: tuple[str, ...], language: str | None) -> bool:
    """True if one of the tags is LANGUAGE or a regional variant of it (en ~ en-gb)."""
    if not language:
        return True
    wanted = language.lower().replace("_", "-")
    return any(t == wanted or t.startswith(wanted + "-") for t in tags)


def synthesize_checked(engine: SpeechEngine, text: str, voice: Voice) -> Clip:
    """`engine.synthesize`, with every failure and any unusable clip as SpeechError."""
    try:
        clip = engine.synthesize(text, voice)
    except SpeechError:
        raise
    except Exception as exc:  # an engine bug must still name the phrase
        raise SpeechError(
            f"{engine.name} could not speak {quote_phrase(text)}: {type(exc).__name__}: {exc}"
        ) from exc
    problem = clip_problem(clip)
    if problem:
        raise SpeechError(f"{engine.name} could not speak {quote_phrase(text)}: {problem}")
    return clip


def clip_problem(clip: object) -> str | None:
    """Why a clip can't be used (not a Clip, wrong rate, empty, not finite), or None."""
    if not isinstance(clip, Clip):
        return f"the engine returned {type(clip).__name__}, not a Clip"
    if clip.sample_rate != SAMPLE_RATE:
        return f"the clip is {clip.sample_rate} Hz, expected {SAMPLE_RATE} Hz"
    if len(clip.samples) == 0:
        return "the engine produced no audio"
    if not np.all(np.isfinite(clip.samples)):
        return "the audio contains invalid (NaN or infinite) samples"
    if not np.any(clip.samples):
        return "the engine produced only silence"
    return None
