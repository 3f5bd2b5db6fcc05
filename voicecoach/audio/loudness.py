"""Loudness measurement (ITU-R BS.1770) and peak control, in numpy.

The K-weighting filter is applied in the frequency domain (its magnitude response,
as libebur128 designs it for any sample rate); loudness is a power measure, so the
phase of the filter does not matter.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0
_FIXED_POINT = float(2**40)


def db_to_gain(db: float) -> float:
    """Linear amplitude factor for DB decibels."""
    return 10.0 ** (db / 20.0)


def _biquad_power(b: tuple[float, ...], a: tuple[float, ...], w: np.ndarray) -> np.ndarray:
    """|H(e^jw)|^2 of a biquad."""
    z = np.exp(-1j * w)
    num = b[0] + b[1] * z + b[2] * z * z
    den = a[0] + a[1] * z + a[2] * z * z
    return np.abs(num / den) ** 2


def k_weighting_power(freqs: np.ndarray, sample_rate: int) -> np.ndarray:
    """Power response of the BS.1770 K-weighting filter at FREQS (Hz)."""
    w = 2 * np.pi * freqs / sample_rate
    # Stage 1: high shelf (+4 dB above ~1.7 kHz).
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10.0 ** (gain / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf_b = (
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
    )
    shelf_a = (1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0)
    # Stage 2: RLB high-pass (~38 Hz).
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    hp_a = (1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0)
    return _biquad_power(shelf_b, shelf_a, w) * _biquad_power((1.0, -2.0, 1.0), hp_a, w)


def k_weighted(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """SAMPLES passed through the K-weighting filter (zero phase, float64)."""
    n = len(samples)
    pad = sample_rate // 10
    size = 1 << max(1, (n + 2 * pad - 1).bit_length())
    spectrum = np.fft.rfft(np.asarray(samples, dtype=np.float64), size)
    spectrum *= _k_magnitude(size, sample_rate)
    return np.fft.irfft(spectrum, size)[:n]


@functools.lru_cache(maxsize=32)
def _k_magnitude(size: int, sample_rate: int) -> np.ndarray:
    """K-weighting magnitude at the rfft bins of a SIZE-point transform."""
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    return np.sqrt(k_weighting_power(freqs, sample_rate))


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness in LUFS (-inf for silence).

    Clips shorter than one 400 ms gating block are measured as a single block.
    """
    if len(samples) == 0:
        return -math.inf
    return power_loudness(k_weighted(samples, sample_rate) ** 2, sample_rate)


def power_loudness(power: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness in LUFS of K-weighted squared samples POWER (at least
    one); what `integrated_loudness` measures."""
    block, hop = round(0.4 * sample_rate), round(0.1 * sample_rate)
    if len(power) <= block:
        return gated_loudness(np.array([power.mean()]))
    cumulative = np.concatenate(([0.0], np.cumsum(power)))
    starts = np.arange(0, len(power) - block + 1, hop)
    return gated_loudness((cumulative[starts + block] - cumulative[starts]) / block)


def gated_loudness(block_powers: np.ndarray) -> float:
    """BS.1770 gating (-70 LUFS absolute, -10 LU relative) of 400 ms block powers."""
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10.0 * np.log10(block_powers)
    kept = block_powers[loudness > _ABSOLUTE_GATE]
    if len(kept) == 0:
        return -math.inf
    relative = -0.691 + 10.0 * math.log10(kept.mean()) + _RELATIVE_GATE
    with np.errstate(divide="ignore"):
        kept = kept[-0.691 + 10.0 * np.log10(kept) > relative]
    return -0.691 + 10.0 * math.log10(kept.mean())


class LoudnessMeter:
    """Integrated loudness of a stream: ``feed`` blocks, then ``integrated()``.

    Each 100 ms segment is K-weighted on its own spectrum (Parseval), and gating
    blocks are four consecutive segments, so memory is one float per 100 ms.
    """

    def __init__(self, sample_rate: int) -> None:
        """A meter for audio at SAMPLE_RATE."""
        self._segment = round(0.1 * sample_rate)
        weights = k_weighting_power(np.fft.rfftfreq(self._segment, 1.0 / sample_rate), sample_rate)
        weights[1 : (self._segment + 1) // 2] *= 2.0  # bins that stand for two
        self._weights = weights / self._segment**2
        self._carry = np.zeros(0, dtype=np.float64)
        self._powers: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        """Add the next samples of the stream."""
        data = np.concatenate((self._carry, block), dtype=np.float64)
        count = len(data) // self._segment
        segments = data[: count * self._segment].reshape(count, self._segment)
        if count:
            spectrum = np.fft.rfft(segments, axis=1)
            power = (spectrum.real**2 + spectrum.imag**2) @ self._weights
            self._powers.append(power)
        self._carry = data[count * self._segment :]

    def skip(self, count: int) -> None:
        """Add COUNT zero samples, as ``feed`` of them would, without transforming the
        whole segments among them (their power is exactly 0)."""
        if count <= 0:
            return
        fill = min(count, -len(self._carry) % self._segment)
        if fill:
            self.feed(np.zeros(fill))
            count -= fill
        whole, rest = divmod(count, self._segment)
        if whole:
            self._powers.append(np.zeros(whole))
        if rest:
            self.feed(np.zeros(rest))

    def segment_powers(self) -> np.ndarray:
        """Mean K-weighted power of every whole 100 ms segment fed so far."""
        return np.concatenate([*self._powers, np.zeros(0)])

    def integrated(self) -> float:
        """Gated integrated loudness (LUFS) of everything fed so far."""
        powers = self.segment_powers()
        if len(powers) < 4:
            return gated_loudness(np.array([powers.mean()])) if len(powers) else -math.inf
        blocks = (powers[:-3] + powers[1:-2] + powers[2:-1] + powers[3:]) / 4.0
        return gated_loudness(blocks)


def _sliding_min(values: np.ndarray, half: int) -> np.ndarray:
    """Minimum over ``[i - half, i + half]`` for every i (outside counts as 1.0)."""
    n, width = len(values), 2 * half + 1
    extra = -(n + 2 * half) % width
    padded = np.pad(values, (half, half + extra), constant_values=1.0).reshape(-1, width)
    prefix = np.minimum.accumulate(padded, axis=1).ravel()
    suffix = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[:n], prefix[width - 1 : width - 1 + n])


def limiter_half_width(sample_rate: int) -> int:
    """Samples the limiter looks each way; a sample's gain depends on +-2x this."""
    return max(1, round(0.01 * sample_rate))


def limiter_threshold(ceiling: float) -> float:
    """The level above which `limit_peaks` turns a sample down (just under CEILING, a
    float32 rounding margin); a block with no sample above it is left as it is."""
    return ceiling * 0.9999


def limit_peaks(
    samples: np.ndarray, ceiling: float, sample_rate: int, *, true_peak: bool = False
) -> np.ndarray:
    """SAMPLES with every peak above CEILING smoothly turned down to it.

    A look-ahead limiter: the gain needed at each sample is spread over +-10 ms
    (minimum, then moving average), so the gain glides instead of stepping and no
    sample exceeds the ceiling. With TRUE_PEAK the peaks between samples count
    too (``true_peak_envelope``), so the signal a DAC or decoder rebuilds stays under.
    """
    x = np.asarray(samples, dtype=np.float32)
    if len(x) == 0:
        return x
    magnitude = true_peak_envelope(x, ceiling * _TRUE_PEAK_FLOOR) if true_peak else np.abs(x)
    target = limiter_threshold(ceiling)
    over = np.flatnonzero(magnitude > target)
    if not len(over):
        return x
    # The gain differs from 1 only within 2 * half of a sample over the target, so
    # each cluster of such samples is limited on its own stretch (the sums are exact:
    # the same samples as limiting the whole array at once).
    half = limiter_half_width(sample_rate)
    reach = 2 * half + 1
    breaks = np.flatnonzero(np.diff(over) > 2 * reach) + 1
    out = x.copy()
    firsts, lasts = over[np.r_[0, breaks]], over[np.r_[breaks - 1, len(over) - 1]]
    for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
        a, b = max(0, first - reach), min(len(x), last + reach + 1)
        out[a:b] = _limit_stretch(x[a:b], magnitude[a:b], target, half)
    return out


def _limit_stretch(x: np.ndarray, magnitude: np.ndarray, target: float, half: int) -> np.ndarray:
    """X turned down where MAGNITUDE exceeds TARGET (the look-ahead gain of
    `limit_peaks`, with no peak over the target within 2 * HALF of either end)."""
    with np.errstate(divide="ignore"):
        needed = np.minimum(1.0, target / magnitude.astype(np.float64))
    held = _sliding_min(np.pad(needed, half, constant_values=1.0), half)
    # Average the gain *reduction*, so away from peaks the gain is exactly 1. The sums
    # run in fixed point so they are exact: a sample's gain must not depend on where
    # its block starts (blocks of any size give the same track).
    reduction = np.rint((1.0 - held) * _FIXED_POINT).astype(np.int64)
    cumulative = np.concatenate(([0], np.cumsum(reduction)))
    width = 2 * half + 1
    gain = 1.0 - (cumulative[width:] - cumulative[:-width]) / (width * _FIXED_POINT)
    return (x * np.minimum(gain, needed)).astype(np.float32)


OVERSAMPLING = 8
"""True-peak oversampling factor (BS.1770-4 asks for at least 4; 8 misses < 0.2 dB)."""
_TAPS_PER_PHASE = 32
_GRID = float(1 << 24)
_TRUE_PEAK_FLOOR = 0.5
"""Samples below half the ceiling (-6 dB) are not oversampled by the limiter."""
PEAK_METER_FLOOR = 0.5
"""Fraction of the sample peak so far below which `TruePeakMeter` oversamples nothing."""
PEAK_METER_REACH = 2
"""Samples each side of a local maximum between which `TruePeakMeter` oversamples."""


@functools.lru_cache(maxsize=4)
def _interpolators(factor: int = OVERSAMPLING, dtype: type = np.float64) -> np.ndarray:
    """Windowed-sinc filters (one column per phase 1..factor-1) of the in-between
    samples, as DTYPE."""
    half = _TAPS_PER_PHASE // 2
    taps = np.arange(-half + 1, half + 1, dtype=np.float64)
    window = np.kaiser(2 * half + 1, 8.0)
    rows = []
    for phase in range(1, factor):
        offset = taps - phase / factor
        weights = np.interp(offset, np.arange(-half, half + 1), window)
        rows.append(np.sinc(offset) * weights)
    return np.array(rows).T.astype(dtype)


def true_peak_context() -> int:
    """Samples of context each side that the true-peak estimate of a sample needs."""
    return _TAPS_PER_PHASE // 2


def true_peak_envelope(samples: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """For each sample, the largest magnitude of the signal between it and the next
    one, from 8x oversampling (close to what ffmpeg's ebur128 and BS.1770 measure).

    Only samples next to one above FLOOR are oversampled (the rest keep their own
    magnitude): real audio never peaks between samples far above both neighbours.
    """
    x = np.asarray(samples, dtype=np.float64)
    envelope = np.abs(x)
    if len(x) < 2:
        return envelope
    half = _TAPS_PER_PHASE // 2
    loud = envelope > floor
    loud[:-1] |= loud[1:]
    where = np.flatnonzero(loud)
    if not len(where):
        return envelope
    between = np.abs(_in_between(np.pad(x, (half - 1, half)), where + (half - 1))).max(axis=1)
    # on a 2^-24 grid, so the last bits of the matrix product (which may depend on
    # how many rows it has) never change a sample: blocks of any size agree
    between = np.rint(between * _GRID) / _GRID
    envelope[where] = np.maximum(envelope[where], between)
    return envelope


def _in_between(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """X between sample i and i + 1 (8x oversampled: one column per point), a row for
    each i in STARTS; each needs `true_peak_context` samples of X before i and after
    i + 1. Computed in X's dtype."""
    half = _TAPS_PER_PHASE // 2
    windows = sliding_window_view(x, 2 * half)[starts - (half - 1)]
    return windows @ _interpolators(OVERSAMPLING, x.dtype.type)


class TruePeakMeter:
    """True peak of a stream, as `true_peak_envelope` measures a whole signal (zeros
    before and after it): ``feed`` blocks, then ``peak()``; memory is one block.

    Only the signal within `PEAK_METER_REACH` samples of a local maximum of the
    magnitude is oversampled, and only where that maximum is above `PEAK_METER_FLOOR`
    of the sample peak so far: in audio low-passed below Nyquist (as decoded files
    are) the signal peaks between samples only next to a local maximum, and never
    6 dB above both neighbours. The last samples of a block wait for the next one,
    their context.
    """

    def __init__(self) -> None:
        """A meter that has seen nothing (peak 0)."""
        self._context = true_peak_context() + PEAK_METER_REACH
        self._tail = np.zeros(self._context, dtype=np.float32)
        self._sample_peak = 0.0
        self._between_peak = 0.0

    def feed(self, block: np.ndarray) -> None:
        """Add the next samples of the stream."""
        self._measure(np.concatenate((self._tail, block), dtype=np.float32))

    def skip(self, count: int) -> None:
        """Add COUNT zero samples, as ``feed`` of them would (past the context a sample
        needs, more zeros change nothing: none is a local maximum above the floor)."""
        if count > 0:
            self.feed(np.zeros(min(count, 2 * self._context + 1), dtype=np.float32))

    def peak(self) -> float:
        """Largest magnitude of everything fed so far, between the samples too (linear)."""
        self._measure(np.concatenate((self._tail, np.zeros(self._context, np.float32))))
        return max(self._sample_peak, self._between_peak)

    def _measure(self, data: np.ndarray) -> None:
        """Oversample around the local maxima of DATA that have their whole context in
        it (from its sample `_context` on); keep the rest for the next block."""
        context = self._context
        magnitude = np.abs(data)
        if len(data):
            self._sample_peak = max(self._sample_peak, float(magnitude.max()))
        done = len(data) - context  # local maxima in [context, done) are measured
        if done <= context:
            self._tail = data
            return
        loud = np.flatnonzero(magnitude[context:done] > self._sample_peak * PEAK_METER_FLOOR)
        loud += context
        level = magnitude[loud]
        peaks = loud[(level >= magnitude[loud - 1]) & (level >= magnitude[loud + 1])]
        if len(peaks):
            near = np.zeros(len(data), dtype=bool)  # each interval once
            for offset in range(-PEAK_METER_REACH, PEAK_METER_REACH):
                near[peaks + offset] = True
            starts = np.flatnonzero(near)
            between = _in_between(data, starts)
            self._between_peak = max(
                self._between_peak, float(between.max()), -float(between.min())
            )
        self._tail = data[done - context :]


def true_peak_dbfs(samples: np.ndarray) -> float:
    """True peak of SAMPLES in dBTP (-inf for silence)."""
    if len(samples) == 0:
        return -math.inf
    peak = float(np.max(true_peak_envelope(samples)))
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf
