"""Each clip's level in the mix, worked out once and kept beside the phrase cache.

A clip reaches its loudness target through a gain found by a few secant steps
(limiting its peaks lowers its loudness), and the track is calibrated from every
clip's K-weighted power in 10 ms bins, so neither needs the track rendered. Both
depend only on the clip's samples, the target and the peak ceiling, so they are
stored under a hash of those and a warm build measures nothing. The clips the mixer
makes from a clip at its level (prepared, true-peak limited) are stored beside it
(`LevelStore.find_clip`, `keep_clip`), so a warm build limits nothing where sounds
play alone.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import math
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from voicecoach.atomic import atomic_outputs
from voicecoach.audio.loudness import (
    db_to_gain,
    integrated_loudness,
    k_weighted,
    limit_peaks,
    power_loudness,
)
from voicecoach.errors import AudioError, ClipNotCached
from voicecoach.speech.cache import only_reading_clips, read_entry

LEVELS_FORMAT = "voicecoach.levels/2"
"""Bump to invalidate every stored level (part of every key)."""

LEVELS_BUDGET = 2 * 2**30
"""Bytes the level store may hold (levels, prepared and limited clips, measurements):
past it, a build that stored something deletes what was used longest ago
(`prune_levels`), down to three quarters of it."""

_MAX_GAIN = 40.0
_MAX_LIMITING = 8.0
_MAX_ENTRY_BYTES = 2**22
_K = TypeVar("_K")


def bin_samples(sample_rate: int) -> int:
    """Samples in one 10 ms power bin."""
    return max(1, sample_rate // 100)


@dataclass(frozen=True, eq=False)
class ClipLevel:
    """How loud a clip is made, and how much K-weighted power it then has where."""

    gain_db: float
    """Gain that brings the clip to its target before its peaks are limited (dB)."""
    powers: np.ndarray
    """Sum of the squared K-weighted samples of the prepared clip per 10 ms bin."""
    key: str = ""
    """The level's name in its `LevelStore` ("" when it is not stored)."""


@dataclass(frozen=True)
class LevelRequest(Generic[_K]):
    """One clip whose level `LevelStore.levels` finds (the arguments of `level_of`)."""

    name: _K
    """What the caller calls the clip."""
    content: str
    """Its content name (`content_name`, or the phrase cache's name of its entry)."""
    length: int
    """Its length in samples."""
    target_lufs: float
    """The loudness it is measured at."""
    load: Callable[[], np.ndarray]
    """Its samples (mono float32), read only if the level is not stored."""


def content_name(samples: np.ndarray) -> str:
    """A name for exactly SAMPLES (float32): their digest."""
    data = np.ascontiguousarray(samples, dtype=np.float32)
    return "f32:" + hashlib.sha256(data.tobytes()).hexdigest()


def measure_level(
    samples: np.ndarray,
    target_lufs: float,
    ceiling: float,
    sample_rate: int,
    loudness: float | None = None,
) -> ClipLevel:
    """The level of SAMPLES (mono float32) prepared at TARGET_LUFS with peaks at CEILING.
    LOUDNESS is SAMPLES' own integrated loudness when already known (it is the same at
    every target)."""
    gain, power = _normalised(samples, target_lufs, ceiling, sample_rate, loudness)
    size = bin_samples(sample_rate)
    padded = np.pad(power, (0, -len(power) % size))
    return ClipLevel(gain, padded.reshape(-1, size).sum(axis=1))


def prepare(samples: np.ndarray, gain_db: float, ceiling: float, sample_rate: int) -> np.ndarray:
    """SAMPLES raised by GAIN_DB with peaks above CEILING limited (float32)."""
    if gain_db == 0.0:
        return limit_peaks(samples, ceiling, sample_rate)
    return limit_peaks(samples * np.float32(db_to_gain(gain_db)), ceiling, sample_rate)


def normalising_gain(
    samples: np.ndarray, target_lufs: float, ceiling: float, sample_rate: int
) -> float:
    """The gain (dB) that puts SAMPLES at TARGET_LUFS once peaks are limited to CEILING
    (0 for silence). Limiting lowers the loudness, so a few secant steps find it; the
    limiter takes off at most ``_MAX_LIMITING`` dB beyond plain normalisation."""
    return _normalised(samples, target_lufs, ceiling, sample_rate)[0]


def _normalised(
    samples: np.ndarray,
    target_lufs: float,
    ceiling: float,
    sample_rate: int,
    loudness: float | None = None,
) -> tuple[float, np.ndarray]:
    """`normalising_gain` and the K-weighted power of SAMPLES prepared at that gain (the
    last secant step's, so it is not worked out again)."""

    def power_at(gain_db: float) -> np.ndarray:
        return k_weighted(prepare(samples, gain_db, ceiling, sample_rate), sample_rate) ** 2

    if loudness is None:
        loudness = integrated_loudness(samples, sample_rate)
    if not math.isfinite(loudness):
        return 0.0, power_at(0.0)
    lowest = min(target_lufs - loudness, _MAX_GAIN)
    highest = min(lowest + _MAX_LIMITING, _MAX_GAIN)
    gain, power = lowest, power_at(lowest)
    error = target_lufs - power_loudness(power, sample_rate)
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
        gain, power = next_gain, power_at(next_gain)
        error = target_lufs - power_loudness(power, sample_rate)
    return gain, power


def gated_powers(bins: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean power of every 400 ms gating block (100 ms apart) of a track's power BINS."""
    per_segment = 10  # 10 ms bins in 100 ms
    count = len(bins) // per_segment
    segments = bins[: count * per_segment].reshape(count, per_segment).sum(axis=1)
    segments /= per_segment * bin_samples(sample_rate)
    if count < 4:
        return np.array([segments.mean()]) if count else np.zeros(0)
    return (segments[:-3] + segments[1:-2] + segments[2:-1] + segments[3:]) / 4.0


class LevelStore:
    """Clip levels by content, in `directory` (None: worked out every time)."""

    def __init__(self, directory: Path | str | None, workers: int = 1) -> None:
        """WORKERS threads measure the clips `levels` is given at once (numpy's
        transforms and array sums run outside the GIL)."""
        self.directory = Path(directory) if directory is not None else None
        self.workers = max(1, workers)
        self.measured = 0
        """Levels that had to be worked out (not found in the store)."""
        self._loudness: dict[str, float] = {}
        self._lock = threading.Lock()

    def level(
        self, samples: np.ndarray, target_lufs: float, ceiling: float, sample_rate: int
    ) -> ClipLevel:
        """The clip's level at TARGET_LUFS, from the store or measured (and stored)."""
        return self.level_of(
            content_name(samples), len(samples), target_lufs, ceiling, sample_rate, lambda: samples
        )

    def level_of(
        self,
        content: str,
        length: int,
        target_lufs: float,
        ceiling: float,
        sample_rate: int,
        load: Callable[[], np.ndarray],
    ) -> ClipLevel:
        """The level at TARGET_LUFS of the clip named CONTENT (`content_name`, or the
        phrase cache's name of its entry) of LENGTH samples: from the store, else
        measured on LOAD() (and stored)."""
        if self.directory is None:
            return self._measure(content, target_lufs, ceiling, sample_rate, load)
        found = self.stored_level(content, length, target_lufs, ceiling, sample_rate)
        if found is not None:
            return found
        key = self._level_key(content, target_lufs, ceiling, sample_rate)
        level = self._measure(content, target_lufs, ceiling, sample_rate, load)
        self._save(self._level_path(key), level)
        return replace(level, key=key)

    def stored_level(
        self, content: str, length: int, target_lufs: float, ceiling: float, sample_rate: int
    ) -> ClipLevel | None:
        """The stored level `level_of` would give, or None (nothing measured)."""
        if self.directory is None:
            return None
        key = self._level_key(content, target_lufs, ceiling, sample_rate)
        found = self._load(self._level_path(key), length, sample_rate)
        return None if found is None else replace(found, key=key)

    @staticmethod
    def _level_key(content: str, target_lufs: float, ceiling: float, sample_rate: int) -> str:
        """The name a level is stored under."""
        name = f"{LEVELS_FORMAT}|{target_lufs!r}|{ceiling!r}|{sample_rate}|{content}"
        return hashlib.sha256(name.encode()).hexdigest()

    def _level_path(self, key: str) -> Path:
        """Where the level named KEY is stored."""
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.npy"

    def levels(
        self, clips: Iterable[LevelRequest[_K]], ceiling: float, sample_rate: int
    ) -> Iterator[tuple[_K, ClipLevel]]:
        """(name, level) of every request in CLIPS (`level_of` each), in order: stored
        levels read in the calling thread, the others measured by `workers` threads at
        once (started at the first of them); at most twice that many requests are
        pending (CLIPS may make them lazily). The worker threads only read clips
        (`only_reading_clips`): a clip they would have to synthesise is measured in the
        calling thread."""
        if self.workers == 1:
            for clip in clips:
                yield clip.name, self._level_of(clip, ceiling, sample_rate)
            return
        with contextlib.ExitStack() as stack:
            pool: ThreadPoolExecutor | None = None
            window: deque[tuple[LevelRequest[_K], Future[ClipLevel] | ClipLevel]] = deque()

            def oldest() -> tuple[_K, ClipLevel]:
                clip, pending = window.popleft()
                if isinstance(pending, ClipLevel):
                    return clip.name, pending
                try:
                    return clip.name, pending.result()
                except ClipNotCached:
                    return clip.name, self._level_of(clip, ceiling, sample_rate)

            for clip in clips:
                args = (clip.content, clip.length, clip.target_lufs, ceiling, sample_rate)
                found: Future[ClipLevel] | ClipLevel | None = self.stored_level(*args)
                if found is None:
                    if pool is None:
                        pool = stack.enter_context(
                            ThreadPoolExecutor(
                                self.workers,
                                thread_name_prefix="voicecoach-levels",
                                initializer=only_reading_clips,
                            )
                        )
                    found = pool.submit(self._level_of, clip, ceiling, sample_rate)
                window.append((clip, found))
                if len(window) >= 2 * self.workers:
                    yield oldest()
            while window:
                yield oldest()

    def _level_of(self, clip: LevelRequest, ceiling: float, sample_rate: int) -> ClipLevel:
        return self.level_of(
            clip.content, clip.length, clip.target_lufs, ceiling, sample_rate, clip.load
        )

    def _measure(
        self,
        content: str,
        target_lufs: float,
        ceiling: float,
        sample_rate: int,
        load: Callable[[], np.ndarray],
    ) -> ClipLevel:
        """Measure the level of the clip named CONTENT (its own loudness is worked out
        once for every target)."""
        with self._lock:
            self.measured += 1
        samples = load()
        loudness = self._loudness.get(content)
        if loudness is None:
            loudness = self._loudness[content] = integrated_loudness(samples, sample_rate)
        return measure_level(samples, target_lufs, ceiling, sample_rate, loudness)

    def find_clip(
        self, level: ClipLevel, name: str, length: int, bound: float
    ) -> np.ndarray | None:
        """The stored clip NAME made from the clip at LEVEL (e.g. its samples prepared
        at that level): LENGTH float32 samples, none above BOUND (the ceiling it was
        limited to) in magnitude; None if there is no such clip."""
        path = self._clip_path(level, name)
        data = None if path is None else read_array(path, np.dtype("<f4"), length)
        if data is None:
            return None
        # both ends within the bound (a NaN is not), without a copy of the magnitudes
        if data.max(initial=0.0) <= bound and -data.min(initial=0.0) <= bound:
            return data
        return None

    def has_clip(self, level: ClipLevel, name: str) -> bool:
        """Whether a clip NAME made from the clip at LEVEL is stored (not read: `find_clip`
        checks it when it is used)."""
        path = self._clip_path(level, name)
        return path is not None and path.is_file()

    def keep_clip(self, level: ClipLevel, name: str, clip: np.ndarray) -> None:
        """Store CLIP as the clip NAME made from the clip at LEVEL."""
        path = self._clip_path(level, name)
        if path is not None:
            write_array(path, np.ascontiguousarray(clip, dtype=np.float32))

    def _clip_path(self, level: ClipLevel, name: str) -> Path | None:
        """Where the clip NAME made from the clip at LEVEL is kept (None: nowhere)."""
        if self.directory is None or not level.key:
            return None
        key = hashlib.sha256(f"{LEVELS_FORMAT}|{level.key}|{name}".encode()).hexdigest()
        return self.directory / key[:2] / f"{key}.npy"

    @staticmethod
    def _load(path: Path, length: int, sample_rate: int) -> ClipLevel | None:
        """A stored level that fits a clip of LENGTH samples, or None."""
        bins = -(-length // bin_samples(sample_rate))
        data = read_array(path, np.dtype("<f8"), bins + 1)
        if (
            data is None
            or not np.isfinite(data).all()
            or abs(data[0]) > _MAX_GAIN + _MAX_LIMITING  # never measured so: not ours
            or (data[1:] < 0).any()
        ):
            return None
        return ClipLevel(float(data[0]), data[1:])

    @staticmethod
    def _save(path: Path, level: ClipLevel) -> None:
        """Store LEVEL."""
        write_array(path, np.concatenate(([level.gain_db], level.powers)).astype(np.float64))


_written = [0]
_written_lock = threading.Lock()
_ENTRY_NAME = re.compile(r"^[0-9a-f]{64}\.npy$")
_SHARD_NAME = re.compile(r"^[0-9a-f]{2}$")


def written_bytes() -> int:
    """Bytes this process has stored with `write_array` so far."""
    return _written[0]


def write_array(path: Path, array: np.ndarray) -> None:
    """Store the 1-D ARRAY at PATH as np.save writes it (`read_array` reads it),
    atomically; a store that can't be written is only slower."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    try:
        with atomic_outputs([path], durable=False, replace_special=True) as temps:
            temps[path].write_bytes(buffer.getvalue())
    except AudioError:
        return
    with _written_lock:
        _written[0] += buffer.getbuffer().nbytes


def prune_levels(directory: Path, budget: int | None = None, keep_since: float = math.inf) -> int:
    """If the level store in DIRECTORY holds more than BUDGET bytes (default
    `LEVELS_BUDGET`), delete its entries used longest ago (by modification time:
    `read_array` renews it) until it holds at most three quarters of BUDGET, never one
    used at or after KEEP_SINCE (a time by the store's file clock: the build's start).
    Only files named like its entries are counted or deleted. The bytes deleted;
    anything that can't be read or deleted is left."""
    entries = _stored_entries(directory)
    budget = LEVELS_BUDGET if budget is None else budget
    total = sum(size for _, size, _ in entries)
    if total <= budget:
        return 0
    removed = 0
    for used, size, path in sorted(entries):
        if total - removed <= budget * 3 // 4 or used >= keep_since:
            break
        try:
            os.unlink(path)
        except FileNotFoundError:  # another build pruned it: gone all the same
            pass
        except OSError:
            continue
        removed += size
    return removed


def _stored_entries(directory: Path) -> list[tuple[float, int, str]]:
    """(modification time, size, path) of every file in the level store at DIRECTORY
    named like its entries (a shard folder of two hex digits, 64 hex digits .npy)."""
    entries: list[tuple[float, int, str] | None] = []
    with contextlib.suppress(OSError), os.scandir(directory) as shards:
        for shard in shards:
            if _SHARD_NAME.match(shard.name) and shard.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError), os.scandir(shard.path) as files:
                    entries += [_stat(e) for e in files if _ENTRY_NAME.match(e.name)]
    return [entry for entry in entries if entry is not None]


def _stat(entry: os.DirEntry) -> tuple[float, int, str] | None:
    """ENTRY's (modification time, size, path), None if it is gone."""
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    return info.st_mtime, info.st_size, entry.path


@functools.lru_cache(maxsize=4096)
def _array_header(descr: str, length: int) -> bytes:
    """The header np.save writes before LENGTH values of the dtype DESCR."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": descr, "fortran_order": False, "shape": (length,)}
    )
    return header.getvalue()


def read_array(path: Path, dtype: np.dtype, length: int) -> np.ndarray | None:
    """The 1-D array of LENGTH DTYPE values that np.save wrote at PATH, or None (for
    anything else). The header is compared as bytes: parsing it costs more than
    reading a clip."""
    expected = _array_header(dtype.str, length)
    try:
        raw = read_entry(path, len(expected) + length * dtype.itemsize)
    except OSError:
        return None
    if len(raw) != len(expected) + length * dtype.itemsize or not raw.startswith(expected):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used now: `prune_levels` deletes what was used longest ago
    return np.frombuffer(raw, dtype=dtype, offset=len(expected))
