"""Synthesise the cue tones (pure numpy, deterministic, click-free).

Every tone is exactly ``round(TONE_LENGTHS[name] * sample_rate)`` samples long, starts
and ends at zero through raised-cosine fades, and peaks at ``TONE_PEAK``. Shapes differ
so a listener can tell them apart without looking: ``up`` rises, ``down`` falls,
``hold`` is a flat steady note, ``count`` a short tick, ``go`` a bright chord,
``end`` a warm low bell and ``side`` a two-note "ding-dong" chime.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from voicecoach.timeline.tone_lengths import TONE_LENGTHS
from voicecoach.wavio import SAMPLE_RATE

TONE_PEAK = 0.5
"""Peak amplitude of a generated tone (-6 dBFS); the mixer sets the final level."""

# Equal-tempered pitches (Hz).
_C5, _D5, _E5, _G5, _A4, _A5 = 523.25, 587.33, 659.26, 783.99, 440.0, 880.0
_G4, _C6, _E6 = 392.0, 1046.50, 1318.51
_C4, _E4, _F4 = 261.63, 329.63, 349.23


def tone_length(name: str, sample_rate: int = SAMPLE_RATE) -> int:
    """Exact number of samples of the tone NAME at SAMPLE_RATE."""
    return round(TONE_LENGTHS[name] * sample_rate)


TONE_STYLES = ("standard", "soft")
"""The generated tone sets: ``standard`` (bright, clear) and ``soft`` (pure, low, gentle
attacks: for a quiet room or music). Each tone keeps its shape in both."""


def generate_tone(name: str, sample_rate: int = SAMPLE_RATE, style: str = "standard") -> np.ndarray:
    """The tone NAME of STYLE as float32 mono samples in -1..1 (KeyError if unknown)."""
    n = tone_length(name, sample_rate)
    t = np.arange(n, dtype=np.float64) / sample_rate
    soft = style == "soft"
    if not soft and style != "standard":
        raise KeyError(style)
    x = (_SOFT_DESIGNS if soft else _DESIGNS)[name](t, sample_rate)
    fade_in = _SOFT_ATTACK if soft else 0.004
    x = x * _fades(n, sample_rate, fade_in=fade_in, fade_out=_FADE_OUT[name])
    peak = float(np.max(np.abs(x)))
    return (x * (TONE_PEAK / peak)).astype(np.float32)


def generate_tones(
    sample_rate: int = SAMPLE_RATE, style: str = "standard"
) -> dict[str, np.ndarray]:
    """Every tone of ``TONE_LENGTHS`` in STYLE, by name."""
    return {name: generate_tone(name, sample_rate, style) for name in TONE_LENGTHS}


def _fades(n: int, sample_rate: int, *, fade_in: float, fade_out: float) -> np.ndarray:
    """Raised-cosine fade-in and fade-out envelope; first and last sample are zero."""
    env = np.ones(n)
    k_in = max(2, round(fade_in * sample_rate))
    k_out = max(2, round(fade_out * sample_rate))
    ramp_in = 0.5 - 0.5 * np.cos(np.pi * np.arange(k_in) / k_in)
    ramp_out = 0.5 - 0.5 * np.cos(np.pi * np.arange(k_out - 1, -1, -1) / k_out)
    env[:k_in] *= ramp_in[: min(k_in, n)]
    env[n - k_out :] *= ramp_out[-min(k_out, n) :]
    return env


def _partials(phase: np.ndarray, amps: tuple[float, ...]) -> np.ndarray:
    """Sum of harmonics 1, 2, 3 ... of a phase track with the given amplitudes."""
    return sum(a * np.sin((k + 1) * phase) for k, a in enumerate(amps))


def _glide(t: np.ndarray, sample_rate: int, f0: float, f1: float) -> np.ndarray:
    """Phase of an exponential pitch glide from F0 to F1 over T."""
    freq = f0 * (f1 / f0) ** (t / t[-1])
    return 2 * np.pi * np.cumsum(freq) / sample_rate


def _bell(t: np.ndarray, freq: float, decay: float, amps=(1.0, 0.3, 0.1)) -> np.ndarray:
    """A struck note: harmonics with an exponential decay (time constant DECAY s)."""
    return _partials(2 * np.pi * freq * t, amps) * np.exp(-t / decay)


def _count(t: np.ndarray, sr: int) -> np.ndarray:
    """Short bright tick."""
    return _bell(t, _A5, 0.035, (1.0, 0.25))


def _go(t: np.ndarray, sr: int) -> np.ndarray:
    """Bright major-third dyad with a ringing decay."""
    return _bell(t, _C6, 0.12, (1.0, 0.15)) + 0.8 * _bell(t, _E6, 0.10, (1.0, 0.1))


def _up(t: np.ndarray, sr: int) -> np.ndarray:
    """Rising glide, a fifth up."""
    return _partials(_glide(t, sr, _A4, _E5), (1.0, 0.2))


def _hold(t: np.ndarray, sr: int) -> np.ndarray:
    """Flat, steady note."""
    return _partials(2 * np.pi * _D5 * t, (1.0, 0.0, 0.12))


def _down(t: np.ndarray, sr: int) -> np.ndarray:
    """Falling glide, a fifth down."""
    return _partials(_glide(t, sr, _E5, _A4), (1.0, 0.2))


def _end(t: np.ndarray, sr: int) -> np.ndarray:
    """Warm low bell with a long decay."""
    return _bell(t, _G4, 0.15, (1.0, 0.4, 0.15))


def _side(t: np.ndarray, sr: int) -> np.ndarray:
    """Two-note chime: "ding" (E5), then "dong" (C5) while the first note rings on."""
    second = 0.26
    t2 = np.clip(t - second, 0.0, None)
    attack = np.clip(t2 / 0.004, 0.0, 1.0)
    attack = (0.5 - 0.5 * np.cos(np.pi * attack)) * (t >= second)
    return _bell(t, _E5, 0.10) + attack * _bell(t2, _C5, 0.14)


_DESIGNS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "count": _count,
    "go": _go,
    "up": _up,
    "hold": _hold,
    "down": _down,
    "end": _end,
    "side": _side,
}

_FADE_OUT = {
    "count": 0.02,
    "go": 0.05,
    "up": 0.025,
    "hold": 0.015,
    "down": 0.025,
    "end": 0.08,
    "side": 0.08,
}


_SOFT_ATTACK = 0.010
"""Seconds of fade-in of a soft tone (no click of a struck attack)."""


def _soft_count(t: np.ndarray, sr: int) -> np.ndarray:
    """A soft, pure knock."""
    return _bell(t, _E5, 0.04, (1.0,))


def _soft_go(t: np.ndarray, sr: int) -> np.ndarray:
    """A warm major third, pure tones, slow decay."""
    return _bell(t, _G5, 0.16, (1.0,)) + 0.7 * _bell(t, _E5 * 2 ** (3 / 12), 0.14, (1.0,))


def _soft_up(t: np.ndarray, sr: int) -> np.ndarray:
    """Pure rising glide, a fourth up."""
    return np.sin(_glide(t, sr, _G4, _C5))


def _soft_hold(t: np.ndarray, sr: int) -> np.ndarray:
    """Pure steady note."""
    return np.sin(2 * np.pi * _A4 * t)


def _soft_down(t: np.ndarray, sr: int) -> np.ndarray:
    """Pure falling glide, a fourth down."""
    return np.sin(_glide(t, sr, _C5, _G4))


def _soft_end(t: np.ndarray, sr: int) -> np.ndarray:
    """Low, round bell."""
    return _bell(t, _C4, 0.2, (1.0, 0.15))


def _soft_side(t: np.ndarray, sr: int) -> np.ndarray:
    """Two pure notes, low: G4, then E4 while the first rings on."""
    second = 0.26
    t2 = np.clip(t - second, 0.0, None)
    attack = np.clip(t2 / _SOFT_ATTACK, 0.0, 1.0)
    attack = (0.5 - 0.5 * np.cos(np.pi * attack)) * (t >= second)
    return _bell(t, _G4, 0.12, (1.0,)) + attack * _bell(t2, _E4, 0.16, (1.0,))


_SOFT_DESIGNS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "count": _soft_count,
    "go": _soft_go,
    "up": _soft_up,
    "hold": _soft_hold,
    "down": _soft_down,
    "end": _soft_end,
    "side": _soft_side,
}
