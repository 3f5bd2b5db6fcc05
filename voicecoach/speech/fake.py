"""A deterministic stand-in speech engine for tests: soft tones of a text-derived length."""

from __future__ import annotations

import os
import sys
import time
import zlib
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from voicecoach.script.model import Voice
from voicecoach.speech.base import (
    Clip,
    ClipCheck,
    OptionSpec,
    VoiceInfo,
    estimate_samples,
    language_matches,
    voice_key,
)
from voicecoach.wavio import SAMPLE_RATE

AMPLITUDE = 0.2
FADE_S = 0.01

FAKE_VOICES = (
    VoiceInfo("fake-en", "Fake English", ("en", "en-gb"), "fake"),
    VoiceInfo("fake-nl", "Fake Dutch", ("nl",), "fake"),
)


class FakeEngine:
    """Makes a quiet sine tone per phrase; pitch from a hash of the text, no I/O.

    Any voice is accepted (the voice doesn't change the clip).

    Failure simulation: `fail_on` (a substring) makes matching phrases raise a
    RuntimeError (fail_mode="raise") or return an empty clip (fail_mode="empty");
    `hang_seconds` makes phrases (those containing `hang_on`, or all) sleep first;
    `crash_on` ends the whole process abruptly (only sensible in a worker process).
    """

    name = "fake"
    rates = (20, 1000)
    voice_options = MappingProxyType(
        {"pitch": OptionSpec(float, "pitch: a factor on the tone's frequency", 0.5, 2.0)}
    )
    clip_check = ClipCheck(default_rate=None, repeat_below=0.0, repeat_tolerance=0.0)
    """Same clip for the same text by construction, whatever the rate: nothing to check."""

    def __init__(
        self,
        *,
        hang_seconds: float = 0.0,
        hang_on: str | None = None,
        fail_on: str | None = None,
        fail_mode: Literal["raise", "empty"] = "raise",
        crash_on: str | None = None,
        name: str = "fake",
    ) -> None:
        if fail_mode not in ("raise", "empty"):
            raise ValueError(f'fail_mode must be "raise" or "empty", not {fail_mode!r}')
        self.hang_seconds = hang_seconds
        self.hang_on = hang_on
        self.fail_on = fail_on
        self.fail_mode = fail_mode
        self.crash_on = crash_on
        self.name = name
        self.calls: list[str] = []
        """Every text synthesised, in order (to count engine work in tests)."""

    def check(self) -> None:
        """The fake engine can always run."""

    def sound_key(self, voice: Voice) -> list[Any]:
        """The fake tone's version and the voice settings."""
        return ["fake/1", *voice_key(voice)]

    def close(self) -> None:
        """Nothing to release."""

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        """Two made-up voices."""
        return [v for v in FAKE_VOICES if language_matches(v.languages, language)]

    def synthesize(self, text: str, voice: Voice) -> Clip:
        """A tone of estimate_duration(text) seconds, or a simulated failure."""
        self.calls.append(text)
        if self.hang_seconds and (self.hang_on is None or self.hang_on in text):
            time.sleep(self.hang_seconds)
        if self.crash_on is not None and self.crash_on in text:
            print("fake engine: simulated crash", file=sys.stderr, flush=True)
            os._exit(3)
        if self.fail_on is not None and self.fail_on in text:
            if self.fail_mode == "empty":
                return Clip(np.zeros(0, dtype=np.float32), SAMPLE_RATE)
            raise RuntimeError("simulated engine failure")
        return Clip(tone(text, float(voice.option_map().get("pitch", 1.0))), SAMPLE_RATE)


def tone(text: str, pitch: float = 1.0) -> np.ndarray:
    """The fake clip's samples for TEXT: 200-400 Hz (times PITCH), quiet, 10 ms fades."""
    n = estimate_samples(text)
    freq = pitch * (200.0 + zlib.crc32(text.encode("utf-8")) % 200)
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    wave = AMPLITUDE * np.sin(2 * np.pi * freq * t)
    fade = min(round(FADE_S * SAMPLE_RATE), n // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
        wave[:fade] *= ramp
        wave[n - fade :] *= ramp[::-1]
    return wave.astype(np.float32)
