"""Turning an engine's raw audio into a clip: mono, 44100 Hz, silence trimmed (numpy only)."""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np

from voicecoach.speech.base import Clip
from voicecoach.wavio import SAMPLE_RATE

ZERO_CROSSINGS = 16
"""Filter half-length in zero crossings of the lower rate's sinc (quality vs speed)."""
KAISER_BETA = 8.6
"""Kaiser window shape: about 80 dB stop-band attenuation."""
ROLLOFF = 0.94
"""Cut-off as a fraction of the lower Nyquist frequency (leaves a transition band)."""

SILENCE_DB = -40.0
"""A sample is silence when quieter than this, relative to the clip's peak."""
MARGIN_S = 0.005
"""Audio kept before the first and after the last non-silent sample."""
FADE_S = 0.003
"""Length of the fade applied at a cut so it doesn't click."""


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) array; 1-D input is returned as float32."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1, dtype=np.float32)
    return samples


@lru_cache(maxsize=16)
def _polyphase_bank(up: int, down: int) -> np.ndarray:
    """The Kaiser-windowed sinc low-pass for rational resampling, as (up, taps) phases."""
    half = ZERO_CROSSINGS * max(up, down)
    n = np.arange(-half, half + 1, dtype=np.float64)
    cutoff = ROLLOFF / max(up, down)  # in cycles per sample at the upsampled rate / 2
    h = cutoff * np.sinc(cutoff * n) * np.kaiser(len(n), KAISER_BETA) * up
    taps = -(-len(h) // up)
    padded = np.zeros(taps * up)
    padded[: len(h)] = h
    return padded.reshape(taps, up).T.copy()  # bank[p, i] = h[p + i*up]


def resample(samples: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited rational resampling (polyphase windowed sinc), float32 in and out.

    The output has ceil(len * rate_out / rate_in) samples and no delay.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if rate_in == rate_out or len(samples) == 0:
        return samples.copy()
    g = gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    bank = _polyphase_bank(up, down)
    taps = bank.shape[1]
    delay = ZERO_CROSSINGS * max(up, down)  # centre of the prototype filter
    n_out = -(-len(samples) * up // down)
    t = np.arange(n_out, dtype=np.int64) * down + delay
    base, phase = np.divmod(t, up)
    pad = taps
    x = np.concatenate([np.zeros(pad), samples.astype(np.float64), np.zeros(pad)])
    out = np.zeros(n_out, dtype=np.float64)
    for i in range(taps):
        out += bank[phase, i] * x[base - i + pad]
    return out.astype(np.float32)


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
    mono = to_mono(samples)
    resampled = resample(mono, sample_rate, SAMPLE_RATE)
    trimmed = trim_silence(resampled, SAMPLE_RATE)
    return Clip(np.clip(trimmed, -1.0, 1.0), SAMPLE_RATE)
