"""Encode one MP3 in several ffmpeg processes at once and join their frames into one file.

libmp3lame runs on one core, so on a machine with spare cores the track is cut into
segments at frame boundaries (in silence when there is some near an even split) and each
segment is encoded by its own ffmpeg while the one mix feeds them all, block by block.

Why the join is exact: with the bit reservoir off (``-reservoir 0``) every frame holds
only its own bits, and an encoder that starts a whole number of frames before a frame
(and a whole number of padding periods: the frames it pads depend on where it started)
writes that frame byte for byte as a single encoder would, once it has seen a few frames
of the signal before it. So each later segment's encoder starts `PREROLL` frames or
more before its join, the segment before it is fed `TAIL` frames past the join, and the
frames around every join are compared: if the two encoders wrote different bytes there,
the join is refused (`NotJoined`) and the caller encodes in one process. The frames are
then concatenated and one Info/LAME header written for all of them (`mp3frames`): the
joined file has the bytes one ffmpeg writes, and decodes to exactly the track's samples.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from voicecoach.atomic import signals_deferred
from voicecoach.audio import mp3frames
from voicecoach.errors import AudioError
from voicecoach.wavio import pcm16

FRAME = mp3frames.FRAME_SAMPLES

PREROLL = 48
"""Frames (at least) a later segment's encoder encodes before its join, then drops."""

TAIL = 3
"""Frames an earlier segment's encoder is fed past its join (its last ones are padded)."""

CHECK = 4
"""Frames before each join that both encoders must have written alike (the join too)."""

MIN_SEGMENT_SECONDS = 20.0
"""Shortest segment worth its own encoder (see the README's Performance section)."""

SILENCE_COST = 0.35
"""What a frame of silence costs LAME against one of speech (0.3 s vs 0.8 s of CPU a
minute here): joins split the encoding work, not the track, evenly."""

QUIET_REACH = 0.25
"""How far from an even split (in segment lengths) a join may move to land in silence."""

_QUIET_BEFORE, _QUIET_AFTER = CHECK + 2, TAIL
"""Frames of silence a join in silence has before and after it."""

_CHUNK = 1 << 20


class NotJoined(Exception):
    """The segments' frames differ at a join: encode in one process instead."""


@dataclass(frozen=True)
class Segment:
    """One encoder's share of the track, in frames of the single-encoder stream."""

    start: int
    """The frame its encoder starts at (its input starts at ``start * 1152``)."""
    first: int
    """The first frame of the joined file taken from it (its join with the one before)."""
    stop: int | None
    """The frame the next segment takes over at (None: the last segment, to its end)."""
    end: int
    """The sample its input stops at (``(stop + TAIL) * 1152``, or the track's end)."""


def plan_segments(
    length: int,
    parts: int,
    period: int,
    quiet: Sequence[tuple[int, int]] = (),
    sample_rate: int = 44100,
) -> list[Segment]:
    """Up to PARTS segments for LENGTH samples (none if fewer than two are worth it):
    joins near even splits, moved into the silence of QUIET (sorted sample spans) when
    there is some within `QUIET_REACH`; every segment starts a multiple of PERIOD frames
    (the encoder's padding period) and at least `PREROLL` frames before its join."""
    min_frames = round(MIN_SEGMENT_SECONDS * sample_rate / FRAME)
    frames = length // FRAME
    parts = min(parts, frames // max(min_frames, PREROLL + period + CHECK))
    if parts < 2:
        return []
    step = frames / parts
    ideals = _even_costs(length, parts, quiet)
    joins: list[int] = []
    for k in range(1, parts):
        ideal = round(ideals[k - 1] / FRAME)
        join = _quiet_join(ideal, round(QUIET_REACH * step), quiet) or ideal
        if join - (joins[-1] if joins else 0) < min_frames:
            continue
        joins.append(join)
    if not joins or frames - joins[-1] < min_frames:
        joins = joins[:-1]
    if not joins:
        return []
    segments, start, first = [], 0, 0
    for join in joins:
        segments.append(Segment(start, first, join, (join + TAIL) * FRAME))
        start = (join - PREROLL) // period * period
        first = join
    segments.append(Segment(start, first, None, length))
    return segments


def _even_costs(length: int, parts: int, quiet: Sequence[tuple[int, int]]) -> list[float]:
    """The PARTS - 1 samples that split LENGTH into parts of equal encoding cost, silence
    (QUIET) costing `SILENCE_COST` of sound."""
    starts = np.array([lo for lo, _ in quiet] + [length], dtype=np.float64)
    ends = np.array([hi for _, hi in quiet] + [length], dtype=np.float64)
    # cost at the start and end of each quiet span: piecewise linear in between
    points = np.concatenate(([0.0], np.ravel(np.column_stack((starts, ends)))))
    slopes = np.tile([1.0, SILENCE_COST], len(starts))
    costs = np.concatenate(([0.0], np.cumsum(np.diff(points) * slopes)))
    total = costs[-1]
    return [float(np.interp(k * total / parts, costs, points)) for k in range(1, parts)]


def _quiet_join(ideal: int, reach: int, quiet: Sequence[tuple[int, int]]) -> int | None:
    """The frame nearest IDEAL (within REACH frames) with silence from `_QUIET_BEFORE`
    frames before it to `_QUIET_AFTER` after it, or None."""
    best: int | None = None
    for lo, hi in quiet:
        first = -(-lo // FRAME) + _QUIET_BEFORE
        last = hi // FRAME - _QUIET_AFTER
        if first > last:
            continue
        candidate = min(max(ideal, first), last)
        if abs(candidate - ideal) <= reach and (
            best is None or abs(candidate - ideal) < abs(best - ideal)
        ):
            best = candidate
    return best


def encode_split(
    command: Sequence[str],
    out: Path,
    segments: Sequence[Segment],
    blocks: Callable[[int, int], Iterator[np.ndarray]],
    length: int,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Encode SEGMENTS at once, each in an ffmpeg running COMMAND (its input read from
    stdin, its output options last) fed by ``BLOCKS(start, end)`` (float samples), then
    join them into OUT. The first writes OUT with its Info frame; the others write bare
    frames to anonymous temp files. PROGRESS gets the samples fed so far. AudioError if
    an ffmpeg fails (with the last line of its stderr), NotJoined if a join is not exact.
    """
    with contextlib.ExitStack() as stack:
        # beside OUT (not $TMPDIR, which may be small): the later segments' frames
        outputs = [
            stack.enter_context(tempfile.TemporaryFile(dir=Path(out).parent)) for _ in segments[1:]
        ]
        errors = [stack.enter_context(tempfile.TemporaryFile()) for _ in segments]
        processes: list[subprocess.Popen] = []
        try:
            with signals_deferred() as deferred:
                for k, stderr in enumerate(errors):
                    target = [_ffmpeg_file(out)] if k == 0 else ["-write_xing", "0", "pipe:1"]
                    stdout = outputs[k - 1] if k else subprocess.DEVNULL
                    try:
                        processes.append(
                            subprocess.Popen(
                                [*command, *target],
                                stdin=subprocess.PIPE,
                                stdout=stdout,
                                stderr=stderr,
                            )
                        )
                    except OSError as exc:
                        raise AudioError(f"cannot run ffmpeg: {exc}") from exc
            deferred.replay()
            streams = [blocks(s.start * FRAME, s.end) for s in segments]
            fed = _feed_all(processes, streams, length, progress)
        except BaseException:
            for process in processes:
                process.kill()
                process.wait()
            raise
        for process, stderr in zip(processes, errors, strict=True):
            if process.returncode != 0:
                stderr.seek(0)
                lines = [x.strip() for x in stderr.read().decode("utf-8", "replace").splitlines()]
                lines = [x for x in lines if x]
                last = lines[-1] if lines else f"exit status {process.returncode}"
                last = last.replace(_ffmpeg_file(out), str(out))
                raise AudioError(f"ffmpeg failed to write mp3: {last}")
        expected = [s.end - s.start * FRAME for s in segments]
        if fed != expected:
            raise AudioError(f"rendered {sum(fed)} samples, expected {sum(expected)}")
        for handle in outputs:
            handle.seek(0)
        with open(out, "r+b") as joined:
            join_frames(joined, outputs, segments, length)


def _ffmpeg_file(path: Path) -> str:
    """PATH as ffmpeg must read it (see `encode.ffmpeg_file`)."""
    return "file:" + str(Path(path).absolute())


def _feed_all(
    processes: Sequence[subprocess.Popen],
    streams: Sequence[Iterator[np.ndarray]],
    length: int,
    progress: Callable[[int], None] | None,
) -> list[int]:
    """Write each stream's blocks to its process's stdin as s16le, to whichever pipe has
    room (so every encoder stays busy while the mix runs ahead), then wait for them all;
    the samples each stream gave."""
    pending: dict[int, memoryview] = {}
    owner: dict[int, int] = {}
    poller = select.poll()
    for k, process in enumerate(processes):
        assert process.stdin is not None
        fd = process.stdin.fileno()
        _widen_pipe(fd)
        os.set_blocking(fd, False)
        owner[fd] = k
        pending[fd] = memoryview(b"")
        poller.register(fd, select.POLLOUT)
    fed, counts = 0, [0] * len(streams)
    while owner:
        for fd, _event in poller.poll():
            if fd not in owner:
                continue
            data = pending[fd]
            if not data:
                block = next(streams[owner[fd]], None)
                if block is None:
                    _close(processes[owner[fd]], poller, owner, fd)
                    continue
                data = memoryview(pcm16(block))
                fed += len(block)
                counts[owner[fd]] += len(block)
                if progress is not None:
                    progress(min(fed, length))
            try:
                written = os.write(fd, data)
            except BlockingIOError:
                written = 0
            except (BrokenPipeError, OSError):  # ffmpeg stopped; its status says why
                _close(processes[owner[fd]], poller, owner, fd)
                continue
            pending[fd] = data[written:]
    for process in processes:
        process.wait()
    return counts


def _close(process: subprocess.Popen, poller, owner: dict[int, int], fd: int) -> None:
    """Close PROCESS's stdin (its encoder then finishes) and stop polling it."""
    poller.unregister(fd)
    del owner[fd]
    with contextlib.suppress(OSError):
        assert process.stdin is not None
        process.stdin.close()


def _widen_pipe(fd: int) -> None:
    """Let a pipe to ffmpeg hold about 12 s of audio (Linux; elsewhere as it is)."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _CHUNK)


def join_frames(
    joined: BinaryIO, parts: Sequence[BinaryIO], segments: Sequence[Segment], length: int
) -> None:
    """Make JOINED (the first segment's file: an Info frame, then its frames) the whole
    track: its frames up to the first join, then each of PARTS' (the other segments' bare
    frames) from its join to the next, and an Info frame for LENGTH samples. NotJoined
    if two segments' frames differ around a join or a segment is short of frames."""
    header = joined.read(4)
    try:
        info_length = mp3frames.frame_length(header)
    except ValueError as exc:
        raise NotJoined(f"the first segment does not start with a frame: {exc}") from None
    joined.seek(0)
    template = joined.read(info_length)
    if not mp3frames.is_info_frame(template):
        raise NotJoined("the first segment has no Info frame")
    handles = [joined, *parts]
    bases = [info_length, *[0] * len(parts)]
    tables = [_frame_table(h, b) for h, b in zip(handles, bases, strict=True)]
    ranges: list[tuple[int, int]] = []  # the local frames used from each segment
    for k, segment in enumerate(segments):
        begin = segment.first - segment.start
        stop = len(tables[k]) if segment.stop is None else segment.stop - segment.start
        if stop > len(tables[k]) or begin >= stop:
            raise NotJoined(f"segment {k + 1} has {len(tables[k])} frames")
        ranges.append((begin, stop))
        if k:
            window = (segment.first - CHECK, segment.first + 1)
            before = segments[k - 1].start
            mine = _read_frames(handles[k], bases[k], tables[k], window, segment.start)
            theirs = _read_frames(handles[k - 1], bases[k - 1], tables[k - 1], window, before)
            if mine != theirs:
                raise NotJoined(f"the encoders differ at frame {segment.first}")
    lengths = array("H")
    crc = 0
    position = info_length
    for k, (begin, stop) in enumerate(ranges):
        offsets = mp3frames.frame_offsets(tables[k], bases[k])
        first, last = int(offsets[begin]), int(offsets[stop])
        lengths.extend(tables[k][begin:stop])
        if k == 0:
            joined.seek(first)
            crc = _crc_of(joined, last - first, crc)
            position = last
            continue
        handles[k].seek(first)
        joined.seek(position)
        remaining = last - first
        while remaining:
            data = handles[k].read(min(_CHUNK, remaining))
            if not data:
                raise NotJoined(f"segment {k + 1} ended early")
            crc = mp3frames.crc16(data, crc)
            joined.write(data)
            remaining -= len(data)
        position += last - first
    joined.truncate(position)
    try:
        info = mp3frames.info_frame(template, lengths, length, crc)
    except ValueError as exc:
        raise NotJoined(str(exc)) from None
    joined.seek(0)
    joined.write(info)


def _frame_table(handle: BinaryIO, base: int) -> array:
    """The length of every frame in HANDLE from byte BASE (NotJoined if not frames)."""
    try:
        return mp3frames.frame_table(handle, base, _CHUNK)
    except ValueError as exc:
        raise NotJoined(str(exc)) from None


def _read_frames(
    handle: BinaryIO, base: int, table: array, window: tuple[int, int], start: int
) -> bytes:
    """The bytes of frames WINDOW (global indices) of a segment starting at frame START."""
    lo, hi = window[0] - start, window[1] - start
    if lo < 0 or hi > len(table):
        raise NotJoined(f"a segment lacks frames {window[0]}-{window[1]}")
    offsets = mp3frames.frame_offsets(table, base)
    handle.seek(int(offsets[lo]))
    return handle.read(int(offsets[hi] - offsets[lo]))


def _crc_of(handle: BinaryIO, count: int, crc: int) -> int:
    """CRC continued over the next COUNT bytes of HANDLE."""
    while count:
        data = handle.read(min(_CHUNK, count))
        if not data:
            raise NotJoined("a segment ended early")
        crc = mp3frames.crc16(data, crc)
        count -= len(data)
    return crc
