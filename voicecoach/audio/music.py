"""The background music bed: decoded once, looped to the session, faded, ducked under speech.

Any file ffmpeg reads is decoded (pydub's command and conversions, a chunk at a time,
``decode_stream``) into one pass of mono 16-bit samples at the track's rate (at most
``MAX_DECODE_SECONDS``), kept in an anonymous temporary file (``MusicSource``) and read
back a block at a time. Every sample of the bed is then computed on demand, block by
block, from that pass and the timeline's speech events: the loop (a short equal-power
crossfade at each seam), the fades at the start and end, and the ducking envelope (down
by ``duck_db`` under every spoken line, with raised-cosine ramps of ``DUCK_ATTACK``
before and ``DUCK_RELEASE`` after). Memory grows with neither the session nor the
music file (the crossfaded seam, a second of it, is all that is held), and the live
player gets exactly the samples the built track has.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import numpy as np

from voicecoach.audio.decode import DecodeError, decode_stream
from voicecoach.audio.loudness import LoudnessMeter
from voicecoach.errors import AudioError, ScriptError, SourceLocation
from voicecoach.script.model import DEFAULT_MUSIC_DUCK, DEFAULT_MUSIC_LEVEL
from voicecoach.timeline.model import Timeline

MAX_DECODE_SECONDS = 600.0
"""Longest stretch of a music file used (longer files: their first 10 minutes loop)."""
CROSSFADE = 1.0
"""Seconds of crossfade where the bed loops (shorter for very short files)."""
FADE_IN = 2.0
"""Seconds the bed fades in at the start of the track."""
FADE_OUT = 3.0
"""Seconds the bed fades out before the end of the track."""
DUCK_ATTACK = 0.15
"""Seconds the bed takes to go down; it is fully down when a spoken line starts."""
DUCK_RELEASE = 0.25
"""Seconds the bed takes to come back up after a spoken line ends."""
DUCK_HOLD = 0.5
"""Gaps between lines shorter than this (after the ramps) stay ducked: no pumping."""
_BINS_AT_ONCE = 1 << 16
"""Bins ``bin_powers`` works out at a time (its scratch arrays: a few MB)."""


@dataclass(frozen=True)
class MusicSettings:
    """Which music plays under the session, and how loud."""

    path: Path
    """The music file (any format ffmpeg reads)."""
    level_db: float = DEFAULT_MUSIC_LEVEL
    """Loudness of the bed relative to the voice, dB (``music_level``)."""
    duck_db: float = DEFAULT_MUSIC_DUCK
    """How far the bed is turned down under speech, dB (``music_duck``)."""
    source: SourceLocation | None = None
    """Where the programme names the file (None: ``--music`` on the command line)."""

    def error(self, message: str) -> AudioError | ScriptError:
        """MESSAGE about the music file: located at ``music:`` when the programme set it."""
        if self.source is None:
            return AudioError(f"--music: {self.path} {message}")
        return ScriptError(f"music: {self.path} {message}", self.source)


class Samples(Protocol):
    """One pass of the music, read a stretch at a time."""

    def __len__(self) -> int: ...

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples START .. STOP (within the pass) as float32."""
        ...


class MusicSource:
    """One pass of a music file, decoded: mono int16 in an anonymous temporary file
    (deleted when this is closed or dropped), read back as float32 (``decode_file``'s
    values: the int16 samples over 32768)."""

    def __init__(self, handle: IO[bytes], length: int) -> None:
        self._handle = handle
        self._length = length

    @classmethod
    def decode(cls, path: Path, sample_rate: int, max_seconds: float | None = None) -> MusicSource:
        """PATH decoded by ``decode_stream`` (DecodeError if it can't be)."""
        handle = tempfile.TemporaryFile(prefix="voicecoach-music-")  # noqa: SIM115 (kept open)
        try:
            length = 0
            for chunk in decode_stream(path, sample_rate, max_seconds):
                handle.write(chunk.astype("<i2", copy=False).tobytes())
                length += len(chunk)
            handle.flush()
        except BaseException:
            handle.close()
            raise
        return cls(handle, length)

    def __len__(self) -> int:
        return self._length

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples START .. STOP as float32."""
        start, stop = max(0, start), min(stop, self._length)
        if stop <= start:
            return np.zeros(0, dtype=np.float32)
        data = os.pread(self._handle.fileno(), 2 * (stop - start), 2 * start)
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0

    def close(self) -> None:
        """Delete the decoded samples."""
        self._handle.close()


class _InMemory:
    """A pass of the music held as an array (tests, short sources)."""

    def __init__(self, samples: np.ndarray) -> None:
        self._samples = np.asarray(samples, dtype=np.float32)

    def __len__(self) -> int:
        return len(self._samples)

    def read(self, start: int, stop: int) -> np.ndarray:
        return self._samples[max(0, start) : stop]


def decode_music(settings: MusicSettings, sample_rate: int) -> MusicSource:
    """The music file as mono samples at SAMPLE_RATE (its first MAX_DECODE_SECONDS);
    an error located where the programme names it if it cannot be used."""
    try:
        return MusicSource.decode(settings.path, sample_rate, MAX_DECODE_SECONDS)
    except DecodeError as err:
        raise settings.error(str(err)) from None


def speech_spans(timeline: Timeline) -> list[tuple[float, float]]:
    """(start, end) seconds of every spoken line, in order."""
    return [(event.start, event.end) for event in timeline.speech()]


class MusicBed:
    """The music under one timeline: ``render(start, count)`` gives any stretch of it."""

    def __init__(
        self,
        source: np.ndarray | Samples,
        sample_rate: int,
        total_samples: int,
        spans: Sequence[tuple[float, float]],
        *,
        level_db: float = DEFAULT_MUSIC_LEVEL,
        duck_db: float = DEFAULT_MUSIC_DUCK,
    ) -> None:
        """SOURCE: one pass of the music (mono float32 at SAMPLE_RATE: an array or a
        ``MusicSource``, read a block at a time); SPANS: speech."""
        if isinstance(source, np.ndarray) or not hasattr(source, "read"):
            source = _InMemory(np.asarray(source, dtype=np.float32))
        if len(source) == 0:
            raise ValueError("the music source is empty")
        self.sample_rate = sample_rate
        self.total_samples = total_samples
        self.level_db = level_db
        """Loudness of the bed relative to the voice, dB."""
        self.duck_db = duck_db
        """Depth of the ducking under speech, dB."""
        self._source = source
        length = len(source)
        self._looped = length < total_samples
        crossfade = min(round(CROSSFADE * sample_rate), length // 4) if self._looped else 0
        self._period = length - crossfade
        self._head = np.array(source.read(0, crossfade), dtype=np.float32)
        """The first CROSSFADE of the pass, as it plays before the first seam."""
        if crossfade:
            u = (np.arange(crossfade) + 0.5) / crossfade
            seam = (
                self._head * np.sin(0.5 * np.pi * u)
                + source.read(self._period, length) * np.cos(0.5 * np.pi * u)
            ).astype(np.float32)
        else:
            seam = np.zeros(0, dtype=np.float32)
        self._seam = seam
        """The start of every later pass: its head crossfaded with the pass's tail."""
        self._fade_in = min(round(FADE_IN * sample_rate), total_samples // 3)
        self._fade_out = min(round(FADE_OUT * sample_rate), total_samples // 3)
        self._regions = _duck_regions(spans, sample_rate)
        meter = LoudnessMeter(sample_rate)
        step = 1 << 18
        for pos in range(0, length, step):
            meter.feed(source.read(pos, pos + step))
        loudness = meter.integrated()
        self.loudness = loudness if math.isfinite(loudness) else -math.inf
        """Integrated loudness (LUFS) of one pass of the music as decoded."""
        self._segment_powers = meter.segment_powers()
        self._segment = round(0.1 * sample_rate)
        self._bin_powers: dict[int, np.ndarray] = {}

    @classmethod
    def for_timeline(
        cls,
        source: np.ndarray | Samples,
        timeline: Timeline,
        settings: MusicSettings,
        sample_rate: int,
    ) -> MusicBed:
        """The bed for TIMELINE from SOURCE (decoded at SAMPLE_RATE) with SETTINGS'
        level and ducking."""
        return cls(
            source,
            sample_rate,
            round(timeline.duration * sample_rate),
            speech_spans(timeline),
            level_db=settings.level_db,
            duck_db=settings.duck_db,
        )

    def bin_powers(self, size: int) -> np.ndarray:
        """Estimated K-weighted power (sum of squares) of the bed at its source level in
        every SIZE-sample bin of the track: the music's power in the 100 ms segment
        playing at each bin's middle, times the fades and ducking there squared (worked
        out once per SIZE: calibration asks again after every shift)."""
        found = self._bin_powers.get(size)
        if found is None:
            found = self._bin_powers[size] = self._compute_bin_powers(size)
        return found

    def _compute_bin_powers(self, size: int) -> np.ndarray:
        bins = -(-self.total_samples // size)
        powers = self._segment_powers
        out = np.zeros(bins)
        if not len(powers):
            return out
        for first in range(0, bins, _BINS_AT_ONCE):  # bounded by the chunk, not the track
            last = min(first + _BINS_AT_ONCE, bins)
            middle = np.arange(first, last, dtype=np.int64) * size + size // 2
            segment = np.minimum((middle % self._period) // self._segment, len(powers) - 1)
            gain = self._fades(middle).astype(np.float64) * self.duck_gain(middle)
            out[first:last] = powers[segment] * size * gain**2
        return out

    def render(self, start: int, count: int) -> np.ndarray:
        """Samples ``start .. start + count`` of the bed at its source level (float32);
        zero outside the track."""
        out = np.zeros(count, dtype=np.float32)
        lo, hi = max(start, 0), min(start + count, self.total_samples)
        if hi <= lo:
            return out
        values = out[lo - start : hi - start]
        pos = lo
        seam = len(self._seam)
        while pos < hi:  # the looped body (seam, then the pass), a period at a time
            at = pos % self._period
            n = min(self._period - at, hi - pos)
            part = values[pos - lo : pos - lo + n]
            if at < seam:
                cut = min(seam - at, n)
                part[:cut] = self._seam[at : at + cut]
                part[cut:] = self._source.read(seam, at + n)
            else:
                part[:] = self._source.read(at, at + n)
            pos += n
        head = min(hi, len(self._head))  # before the first seam: no crossfade
        if head > lo:
            values[: head - lo] = self._head[lo:head]
        index = np.arange(lo, hi, dtype=np.int64)
        gain = self._fades(index)
        depth = self.duck_depth(index)
        ducked = depth > 0.0
        if ducked.any():
            gain[ducked] *= self._depth_gain(depth[ducked])
        values *= gain
        return out

    def _fades(self, index: np.ndarray) -> np.ndarray:
        """Raised-cosine fade-in at the start and fade-out at the end of the track
        (INDEX ascending; 1.0 exactly between the fades)."""
        gain = np.ones(len(index), dtype=np.float32)
        if self._fade_in:
            near = int(np.searchsorted(index, self._fade_in))
            u = np.clip((index[:near] + 0.5) / self._fade_in, 0.0, 1.0)
            gain[:near] *= (0.5 - 0.5 * np.cos(np.pi * u)).astype(np.float32)
        if self._fade_out:
            near = int(np.searchsorted(index, self.total_samples - self._fade_out - 1))
            u = np.clip((self.total_samples - index[near:] - 0.5) / self._fade_out, 0.0, 1.0)
            gain[near:] *= (0.5 - 0.5 * np.cos(np.pi * u)).astype(np.float32)
        return gain

    def duck_depth(self, index: np.ndarray) -> np.ndarray:
        """How far down the bed is at each sample of INDEX (ascending): 0 (full level)
        .. 1 (fully ducked). Each ducked region touches only the samples it covers;
        between its ramps it is 1 exactly."""
        depth = np.zeros(len(index), dtype=np.float64)
        if not len(index) or not len(self._regions):
            return depth
        regions = self._regions
        attack = DUCK_ATTACK * self.sample_rate
        release = DUCK_RELEASE * self.sample_rate
        first, last = int(index[0]), int(index[-1])
        lo = int(np.searchsorted(regions[:, 1] + release, first, side="right"))
        hi = int(np.searchsorted(regions[:, 0] - attack, last, side="right"))
        for begin, end in regions[lo:hi]:
            a = int(np.searchsorted(index, begin - attack, side="right"))
            b = int(np.searchsorted(index, end + release, side="left"))
            # fully down from a sample past the attack to one before the release
            c = max(a, int(np.searchsorted(index, begin + 1.0, side="left")))
            d = min(b, int(np.searchsorted(index, end - 1.0, side="right")))
            if c >= d:
                c = d = b
            depth[c:d] = 1.0
            for x, y in ((a, c), (d, b)):
                near = index[x:y]
                rise = np.clip((near - (begin - attack)) / attack, 0.0, 1.0)
                fall = np.clip(((end + release) - near) / release, 0.0, 1.0)
                shape = 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))
                np.maximum(depth[x:y], shape, out=depth[x:y])
        return depth

    def duck_gain(self, index: np.ndarray) -> np.ndarray:
        """The ducking envelope as linear gain at each sample index."""
        return self._depth_gain(self.duck_depth(index))

    def _depth_gain(self, depth: np.ndarray) -> np.ndarray:
        """Linear gain (float32) at each ducking DEPTH."""
        full = depth == 1.0  # most ducked samples: one value
        gain = np.empty(len(depth), dtype=np.float32)
        gain[full] = np.power(10.0, -self.duck_db * np.ones(1) / 20.0).astype(np.float32)
        gain[~full] = np.power(10.0, -self.duck_db * depth[~full] / 20.0).astype(np.float32)
        return gain


def _duck_regions(spans: Sequence[tuple[float, float]], sample_rate: int) -> np.ndarray:
    """Speech spans as (start, end) sample pairs, merged where the gap between them is
    too short for the bed to come up and go down again (sorted, disjoint)."""
    bridge = (DUCK_ATTACK + DUCK_RELEASE + DUCK_HOLD) * sample_rate
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        a, b = start * sample_rate, end * sample_rate
        if merged and a - merged[-1][1] <= bridge:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return np.array(merged, dtype=np.float64).reshape(-1, 2)
