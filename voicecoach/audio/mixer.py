"""Render a timeline into float32 PCM, block by block, at sample-exact offsets.

Every event starts at sample ``round(event.start * sample_rate)``. Each distinct clip
is prepared once (loudness-normalised, peaks limited) and added into the blocks it
overlaps, so memory is bounded by the clips plus one block, whatever the track's length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from voicecoach.audio.loudness import (
    LoudnessMeter,
    db_to_gain,
    integrated_loudness,
    limit_peaks,
    limiter_half_width,
)
from voicecoach.errors import AudioError
from voicecoach.timeline.model import Event, Timeline
from voicecoach.wavio import SAMPLE_RATE

DEFAULT_BLOCK_SAMPLES = 16384
"""Samples per rendered block (~0.37 s at 44.1 kHz)."""

LENGTH_TOLERANCE = 0.010
"""Seconds a clip may differ from its event's duration (rounding); more is an error."""

_MAX_CALIBRATION = 12.0
_MAX_GAIN = 40.0
_MAX_LIMITING = 8.0


class ClipLike(Protocol):
    """Anything with mono ``samples`` and a ``sample_rate`` (e.g. speech.base.Clip)."""

    samples: Any
    sample_rate: int


@dataclass(frozen=True)
class MixLevels:
    """Target levels of the mix."""

    track_lufs: float = -16.0
    """Integrated loudness of the whole track (LUFS); speech clips start at this level."""
    tone_offset_db: float = -8.0
    """Loudness of each tone relative to speech (measured over its own length), dB."""
    clip_peak_dbfs: float = -2.0
    """Ceiling of each prepared clip's peaks (look-ahead limited), dBFS."""
    mix_peak_dbfs: float = -1.5
    """Ceiling of the mix where sounds overlap (look-ahead limited), dBFS."""


_Key = tuple[str, str]


class Mixer:
    """A timeline bound to its clips; renders any stretch of the track on demand."""

    def __init__(
        self,
        timeline: Timeline,
        speech: Mapping[str, ClipLike],
        tones: Mapping[str, ClipLike],
        *,
        levels: MixLevels | None = None,
    ) -> None:
        """Check that every event has a usable clip (AudioError if not)."""
        self.timeline = timeline
        self.levels = levels or MixLevels()
        self.gain_db = 0.0
        """Calibration added to every clip's loudness target (see ``calibrate``)."""
        self.sample_rate = SAMPLE_RATE
        self.total_samples = round(timeline.duration * self.sample_rate)
        self._sources: dict[_Key, ClipLike] = {}
        self._prepared: dict[_Key, np.ndarray] = {}
        placed: list[tuple[int, int, _Key]] = []
        for event in timeline.events:
            key, clip = self._clip_for(event, speech, tones)
            start = round(event.start * self.sample_rate)
            length = self._check_length(event, clip)
            placed.append((start, start + length, key))
        placed.sort(key=lambda item: item[0])
        self._starts = np.array([p[0] for p in placed], dtype=np.int64)
        self._ends = np.array([p[1] for p in placed], dtype=np.int64)
        self._keys = [p[2] for p in placed]

    def _clip_for(
        self, event: Event, speech: Mapping[str, ClipLike], tones: Mapping[str, ClipLike]
    ) -> tuple[_Key, ClipLike]:
        """The clip an event plays, checked for presence and sample rate."""
        if event.kind == "speech":
            key: _Key = ("speech", event.text or "")
            clip = speech.get(event.text or "")
            missing = f"no speech clip for {event.text!r} (at {event.start:.3f} s)"
        else:
            key = ("tone", event.tone or "")
            clip = tones.get(event.tone or "")
            missing = f"no tone {event.tone!r} (at {event.start:.3f} s)"
        if clip is None:
            raise AudioError(missing)
        if clip.sample_rate != self.sample_rate:
            raise AudioError(
                f"clip for {key[1]!r} is at {clip.sample_rate} Hz; "
                f"the timeline is rendered at {self.sample_rate} Hz"
            )
        self._sources[key] = clip
        return key, clip

    def _check_length(self, event: Event, clip: ClipLike) -> int:
        """The clip's length in samples, if it fits the event's duration."""
        length = len(clip.samples)
        window = round(event.end * self.sample_rate) - round(event.start * self.sample_rate)
        if abs(length - window) > LENGTH_TOLERANCE * self.sample_rate:
            what = event.text if event.kind == "speech" else event.tone
            raise AudioError(
                f"clip for {what!r} lasts {length / self.sample_rate:.3f} s but the timeline "
                f"gives it {window / self.sample_rate:.3f} s (at {event.start:.3f} s)"
            )
        return length

    def prepared(self, key: _Key) -> np.ndarray:
        """The clip for ``key`` ready to mix: mono float32, normalised and limited."""
        found = self._prepared.get(key)
        if found is None:
            levels = self.levels
            target = levels.track_lufs + self.gain_db
            if key[0] == "tone":
                target += levels.tone_offset_db
            samples = as_mono_float32(self._sources[key].samples)
            found = normalise(samples, target, db_to_gain(levels.clip_peak_dbfs), self.sample_rate)
            self._prepared[key] = found
        return found

    def blocks(
        self, start: float = 0.0, block_samples: int = DEFAULT_BLOCK_SAMPLES
    ) -> Iterator[np.ndarray]:
        """Contiguous float32 blocks from ``start`` seconds to the end of the track.

        Each block is mixed with a margin on both sides, so the look-ahead limiter
        that catches overlapping peaks gives the same samples whatever the block size.
        """
        if block_samples <= 0:
            raise ValueError("block_samples must be positive")
        total, margin = self.total_samples, 2 * limiter_half_width(self.sample_rate)
        ceiling = db_to_gain(self.levels.mix_peak_dbfs)
        pos = min(max(0, round(start * self.sample_rate)), total)
        upcoming = int(np.searchsorted(self._starts, pos - margin))
        active = np.flatnonzero(self._ends[:upcoming] > pos - margin).tolist()
        while pos < total:
            stop = min(pos + block_samples, total)
            lo, hi = pos - margin, stop + margin
            while upcoming < len(self._keys) and self._starts[upcoming] < hi:
                active.append(upcoming)
                upcoming += 1
            active = [j for j in active if self._ends[j] > lo]
            mix = np.zeros(hi - lo, dtype=np.float32)
            for j in active:
                first, last = int(self._starts[j]), int(self._ends[j])
                a, b = max(first, lo, 0), min(last, hi, total)
                if b > a:
                    clip = self.prepared(self._keys[j])
                    mix[a - lo : b - lo] += clip[a - first : b - first]
            if float(np.max(np.abs(mix))) > ceiling:
                mix = limit_peaks(mix, ceiling, self.sample_rate)
            yield mix[margin : margin + stop - pos]
            pos = stop

    def track(self) -> np.ndarray:
        """The whole track: float32, exactly ``total_samples`` samples."""
        out = np.empty(self.total_samples, dtype=np.float32)
        pos = 0
        for block in self.blocks(0.0, 1 << 16):
            out[pos : pos + len(block)] = block
            pos += len(block)
        return out

    def measure(self) -> float:
        """Integrated loudness (LUFS) of the track as currently rendered (one full pass)."""
        meter = LoudnessMeter(self.sample_rate)
        for block in self.blocks(0.0, 1 << 16):
            meter.feed(block)
        return meter.integrated()

    def calibrate(self, tolerance_db: float = 0.3, passes: int = 1) -> float:
        """Shift every clip's level so the whole track measures ``levels.track_lufs``
        (per-clip targets alone come out low: pauses and tones pull the average
        down). Every clip hits its own target exactly, so one measuring pass is
        normally enough; costs ``passes`` render passes. Returns the gain in dB."""
        for _ in range(passes):
            error = self.levels.track_lufs - self.measure()
            if not math.isfinite(error) or abs(error) <= tolerance_db:
                break
            self.gain_db = max(-_MAX_CALIBRATION, min(_MAX_CALIBRATION, self.gain_db + error))
            self._prepared.clear()
        return self.gain_db


def as_mono_float32(samples: Any) -> np.ndarray:
    """Samples as a 1-D float32 array in -1..1 (integers scaled, channels averaged)."""
    array = np.asarray(samples)
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float32) / float(-np.iinfo(array.dtype).min)
    array = array.astype(np.float32, copy=False)
    if array.ndim > 1:
        array = array.reshape(len(array), -1).mean(axis=1, dtype=np.float32)
    return array


def normalise(
    samples: np.ndarray, target_lufs: float, ceiling: float, sample_rate: int
) -> np.ndarray:
    """``samples`` at ``target_lufs`` with peaks limited to ``ceiling`` (silence as is).

    Limiting lowers the loudness, so the gain is found by a few secant steps; the
    limiter takes off at most ``_MAX_LIMITING`` dB beyond plain normalisation.
    """
    loudness = integrated_loudness(samples, sample_rate)
    if not math.isfinite(loudness):
        return samples.astype(np.float32, copy=True)
    lowest = min(target_lufs - loudness, _MAX_GAIN)
    highest = min(lowest + _MAX_LIMITING, _MAX_GAIN)

    def attempt(gain_db: float) -> tuple[np.ndarray, float]:
        result = limit_peaks(samples * np.float32(db_to_gain(gain_db)), ceiling, sample_rate)
        return result, target_lufs - integrated_loudness(result, sample_rate)

    gain, (result, error) = lowest, attempt(lowest)
    previous_gain, previous_error = gain, error
    for _ in range(8):
        if abs(error) < 0.1:
            break
        slope = 1.0
        if gain != previous_gain:
            slope = max((previous_error - error) / (gain - previous_gain), 0.05)
        next_gain = min(max(gain + error / slope, lowest), highest)
        if next_gain == gain:
            break
        previous_gain, previous_error = gain, error
        gain = next_gain
        result, error = attempt(gain)
    return result
