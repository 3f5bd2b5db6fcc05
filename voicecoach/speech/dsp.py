"""Turning an engine's raw audio into a clip: mono, 44100 Hz, silence trimmed (numpy, libsoxr)."""

from __future__ import annotations

import numpy as np
import soxr

from voicecoach.speech.base import Clip
from voicecoach.wavio import SAMPLE_RATE, mono_float32

SILENCE_DB = -40.0
"""A sample is silence when quieter than this, relative to the clip's peak."""
MARGIN_S = 0.005
"""Audio kept before the first and after the last non-silent sample."""
FADE_S = 0.003
"""Length of the fade applied at a cut so it doesn't click."""
FINISHING = f"soxr {soxr.__version__} HQ, trim {SILENCE_DB:g} dB {MARGIN_S:g}/{FADE_S:g} s"
"""What `finish` does to every engine's audio (part of every phrase-cache key)."""


def resample(samples: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling with libsoxr (high quality, linear phase), float32 in and out.

    No delay; the output has round(len * rate_out / rate_in) samples (within one).
    """
    samples = np.asarray(samples, dtype=np.float32)
    if rate_in == rate_out or len(samples) == 0:
        return samples.copy()
    return np.asarray(soxr.resample(samples, rate_in, rate_out, quality="HQ"), dtype=np.float32)


def trim_silence(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cut leading and trailing silence, keeping a few ms of margin, with short fades.

    Silence is anything quieter than SILENCE_DB below the peak. An all-silent input
    comes back empty.
    """
    samples = np.asarray(samples, dtype=np.float32)
    level = np.abs(samples)
    peak = float(level.max()) if len(level) else 0.0
    if peak <= 0.0:
        return samples[:0].copy()
    loud = np.flatnonzero(level > peak * 10 ** (SILENCE_DB / 20))
    margin = round(MARGIN_S * sample_rate)
    start = max(0, int(loud[0]) - margin)
    end = min(len(samples), int(loud[-1]) + 1 + margin)
    out = samples[start:end].copy()
    fade = min(round(FADE_S * sample_rate), len(out) // 2)
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade + 1, dtype=np.float32)[1:]
        if start > 0:
            out[:fade] *= ramp
        if end < len(samples):
            out[-fade:] *= ramp[::-1]
    return out


def finish(samples: np.ndarray, sample_rate: int) -> Clip:
    """Raw engine audio to a voicecoach clip: mono, SAMPLE_RATE, trimmed, within -1..1."""
    mono = mono_float32(samples)
    resampled = resample(mono, sample_rate, SAMPLE_RATE)
    trimmed = trim_silence(resampled, SAMPLE_RATE)
    return Clip(np.clip(trimmed, -1.0, 1.0), SAMPLE_RATE)
