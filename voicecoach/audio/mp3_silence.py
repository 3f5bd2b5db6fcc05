"""Leave the silence inside a track's quiet spans out of LAME's input, and put it back
into the file as silent frames.

A programme is mostly silence (rests, holds, the pauses between counts), and LAME
spends about a third of a speech frame's work on a frame of digital silence. With the
bit reservoir off, such a frame is two granules of no bits: it decodes to exact zeros
once the frame before it is silent too, and leaves the decoder as it found it (no
overlap, the filterbank flushed). So the encoder is fed the track without the whole
frames deep inside each quiet span (`plan_cuts`; a few frames of silence stay on either
side of every cut), and the file gets as many silent frames back at each cut
(`put_back`), between two silent frames the encoder wrote there. Decoded, the file is
the shortened track's encode with the left-out zeros back in their place: every sound
at its sample, the same length, the frame count of a whole-track encode. What differs
from encoding the whole track is LAME's own state after a silence (its first frames of
sound after a cut are quantised a little differently; their timing is the same).

Every left-out sample is checked to be zero as it is fed, and the two frames the
encoder wrote before each place silent frames go in (the frames after it follow silent
input too: a cut keeps `KEEP_AFTER` frames of silence); if one is not, `NotSilent` says
so and the caller encodes the whole track instead.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from voicecoach.audio import mp3frames

FRAME = mp3frames.FRAME_SAMPLES

KEEP_BEFORE = 3
"""Whole frames of silence kept after the start of a quiet span (LAME's delay and the
MDCT window reach two frames past a sound: the frames before a cut are then silent)."""

KEEP_AFTER = 2
"""Whole frames of silence kept before the end of a quiet span (LAME looks one ahead)."""

MIN_CUT = 4
"""Fewest frames worth leaving out."""

_CHUNK = 1 << 20


class NotSilent(Exception):
    """A left-out sample is not zero, or the file is not silent at a cut: encode the
    whole track instead."""


@dataclass(frozen=True)
class Cut:
    """Frames of silence left out of the encoder's input."""

    frame: int
    """The track's first left-out frame (its samples start at ``frame * 1152``)."""
    frames: int
    """How many frames are left out."""


def plan_cuts(length: int, quiet: Sequence[tuple[int, int]]) -> tuple[Cut, ...]:
    """The cuts for a track of LENGTH samples that is zero in QUIET (sorted sample
    spans): every quiet span's whole frames but `KEEP_BEFORE` at its start and
    `KEEP_AFTER` at its end, where at least `MIN_CUT` frames are left."""
    cuts = []
    for lo, hi in quiet:
        first = -(-lo // FRAME) + KEEP_BEFORE
        stop = min(hi, length) // FRAME - KEEP_AFTER
        if stop - first >= MIN_CUT:
            cuts.append(Cut(first, stop - first))
    return tuple(cuts)


@dataclass(frozen=True)
class Shortened:
    """A track of LENGTH samples with CUTS left out: what the encoder is fed."""

    length: int
    """The whole track's samples."""
    cuts: tuple[Cut, ...]
    """The frames left out, in order."""

    @property
    def encoded(self) -> int:
        """Samples the encoder is fed."""
        return self.length - FRAME * sum(cut.frames for cut in self.cuts)

    @functools.cached_property
    def _points(self) -> list[int]:
        """Where each cut falls in the encoder's input (a sample index)."""
        points, removed = [], 0
        for cut in self.cuts:
            points.append((cut.frame - removed) * FRAME)
            removed += cut.frames
        return points

    @functools.cached_property
    def _removed(self) -> list[int]:
        """Frames left out before each cut's place (and after the last)."""
        return [0, *itertools.accumulate(cut.frames for cut in self.cuts)]

    def to_track(self, sample: int) -> int:
        """The track sample the encoder's input sample SAMPLE is (one at a cut is the
        first after it)."""
        k = bisect.bisect_right(self._points, sample)
        return sample + FRAME * self._removed[k]

    @functools.cached_property
    def _starts(self) -> list[int]:
        """The track sample each cut starts at."""
        return [cut.frame * FRAME for cut in self.cuts]

    def to_encoded(self, sample: int) -> int:
        """Where track sample SAMPLE is in the encoder's input (one inside a cut: the
        cut's place)."""
        k = bisect.bisect_right(self._starts, sample)  # the cuts starting at or before it
        if k and sample < self._starts[k - 1] + self.cuts[k - 1].frames * FRAME:
            return self._starts[k - 1] - FRAME * self._removed[k - 1]
        return sample - FRAME * self._removed[k]

    def quiet(self, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """Quiet SPANS (track samples) as spans of the encoder's input."""
        mapped = [(self.to_encoded(lo), self.to_encoded(hi)) for lo, hi in spans]
        return [(lo, hi) for lo, hi in mapped if hi > lo]

    def blocks(
        self, track: Callable[[int, int], Iterator[np.ndarray]], start: int, stop: int
    ) -> Iterator[np.ndarray]:
        """The encoder's input samples START to STOP, from ``TRACK(start, stop)`` (the
        track's float blocks between two track samples) with the cuts left out;
        NotSilent if a left-out sample is not zero."""
        if stop <= start:
            return
        first, end = self.to_track(start), self.to_track(stop - 1) + 1
        spans = [(c.frame * FRAME, (c.frame + c.frames) * FRAME) for c in self.cuts]
        k = bisect.bisect_right([hi for _, hi in spans], first)
        pos = first
        blocks = track(first, end)
        try:
            for block in blocks:
                here, block_end = 0, len(block)
                while k < len(spans) and spans[k][0] < pos + block_end:
                    lo, hi = (max(0, x - pos) for x in spans[k])
                    hi = min(hi, block_end)
                    if np.any(block[lo:hi]):
                        raise NotSilent(f"track sample {pos + lo}: a left-out frame is not silent")
                    if lo > here:
                        yield block[here:lo]
                    here = hi
                    if spans[k][1] > pos + block_end:
                        break  # the cut goes on into the next block
                    k += 1
                if here < block_end:
                    yield block[here:]
                pos += block_end
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()


def put_back(path: Path, shortened: Shortened) -> None:
    """Make PATH (the MP3 of SHORTENED's encoder input: an Info frame, then its frames)
    the whole track's: as many silent frames as each cut left out, put in after the
    first frame whose output starts past the cut (there the file must be silent: two
    silent frames before it), padded so the bytes keep the bitrate, and an Info frame
    for every frame and the track's length. NotSilent if the file is not silent there."""
    path = Path(path)
    with open(path, "rb") as source:
        try:
            info_length = mp3frames.frame_length(source.read(4))
            source.seek(0)
            template = source.read(info_length)
            table = mp3frames.frame_table(source, info_length)
            delay = mp3frames.info_delay(template) + mp3frames.DECODER_DELAY
        except ValueError as exc:
            raise NotSilent(f"the encoder's file cannot be read: {exc}") from None
        offsets = mp3frames.frame_offsets(table, info_length)
        places = _places(shortened, delay, len(table))
        # made in an anonymous file (nothing left behind if the build is killed), then
        # written over PATH: the caller's temp keeps its inode, and with it its lock
        with tempfile.TemporaryFile(dir=path.parent) as handle:
            handle.write(template)
            out = _CrcWriter(handle)
            lengths = array("H")
            done = 0  # the encoder's frames copied
            for place, cut in zip(places, shortened.cuts, strict=True):
                _copy(source, out, int(offsets[done]), int(offsets[place]))
                lengths.extend(table[done:place])
                silence = _silent_frames(source, offsets, place, len(lengths), out.count, cut)
                out.write(silence.data)
                lengths.extend(silence.lengths)
                done = place
            _copy(source, out, int(offsets[done]), int(offsets[len(table)]))
            lengths.extend(table[done:])
            crc = out.close()
            try:
                info = mp3frames.info_frame(template, lengths, shortened.length, crc)
            except ValueError as exc:
                raise NotSilent(str(exc)) from None
            handle.seek(0)
            handle.write(info)
            handle.seek(0)
            with open(path, "r+b") as target:
                shutil.copyfileobj(handle, target, _CHUNK)
                target.truncate()


class _CrcWriter:
    """Writes bytes to a file a megabyte at a time, keeping their CRC-16 (`crc16` is
    quickest on whole megabytes)."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.crc, self.count = handle, 0, 0
        self.pending = bytearray()

    def write(self, data: bytes) -> None:
        """Write DATA (once a megabyte has gathered)."""
        self.pending += data
        self.count += len(data)
        if len(self.pending) >= _CHUNK:
            whole = len(self.pending) - len(self.pending) % _CHUNK
            self._flush(whole)

    def close(self) -> int:
        """Write what is left; the CRC of everything written."""
        self._flush(len(self.pending))
        return self.crc

    def _flush(self, count: int) -> None:
        view = memoryview(self.pending)[:count]
        for start in range(0, count, _CHUNK):
            self.crc = mp3frames.crc16(view[start : start + _CHUNK], self.crc)
        self.handle.write(view)
        view.release()
        del self.pending[:count]


def _places(shortened: Shortened, delay: int, frames: int) -> list[int]:
    """For each cut, the encoder's frame the silent frames go before: the first whose
    output (DELAY samples late) starts past the cut's place in the input."""
    places = []
    for point in shortened._points:
        place = (point + delay) // FRAME + 1
        if not 2 <= place <= frames:
            raise NotSilent(f"a cut at input sample {point} is outside the encoder's frames")
        places.append(place)
    return places


@dataclass(frozen=True)
class _Silence:
    """Silent frames to put in: their bytes and each one's length."""

    data: bytes
    lengths: list[int]


def _silent_frames(
    source: BinaryIO, offsets: np.ndarray, place: int, frames: int, written: int, cut: Cut
) -> _Silence:
    """CUT's frames of silence, made from the encoder's silent frame before PLACE
    (checked, with the one before it), padded so that the file's FRAMES so far (WRITTEN
    bytes) and these hold the bytes the bitrate gives (``144 * bitrate / rate`` a frame)."""
    heads = []  # the two frames' header and side info
    for index in (place - 2, place - 1):
        source.seek(int(offsets[index]))
        heads.append(source.read(4 + mp3frames.SIDE_INFO_BYTES))
    header = heads[-1][:4]
    if not header[1] & 1 or mp3frames.channels(header) != 1:
        raise NotSilent("the encoder wrote CRCs or stereo frames")
    side = np.frombuffer(b"".join(h[4:] for h in heads), dtype=np.uint8).reshape(2, -1)
    if not mp3frames.silent_frames(side).all():
        raise NotSilent(f"the encoder's frames {place - 2}-{place - 1} are not silent")
    exact = mp3frames.frame_bytes(header)
    plain = bytes((header[0], header[1], header[2] & ~2, header[3])) + heads[-1][4:]
    padded = bytes((header[0], header[1], header[2] | 2, header[3])) + heads[-1][4:]
    base = mp3frames.frame_length(plain[:4])
    behind = exact * frames - written  # bytes the file is short of the bitrate's
    extra = min(max(round(exact * cut.frames + behind) - base * cut.frames, 0), cut.frames)
    count = np.arange(cut.frames + 1) * extra // cut.frames
    pads = np.diff(count).astype(bool).tolist()
    plain_frame = plain + bytes(base - len(plain))
    padded_frame = padded + bytes(base + 1 - len(padded))
    data = b"".join(padded_frame if pad else plain_frame for pad in pads)
    return _Silence(data, [base + pad for pad in pads])


def _copy(source: BinaryIO, out: _CrcWriter, start: int, stop: int) -> None:
    """Copy SOURCE's bytes START to STOP onto OUT."""
    source.seek(start)
    remaining = stop - start
    while remaining:
        data = source.read(min(_CHUNK, remaining))
        if not data:
            raise NotSilent("the encoder's file ended early")
        out.write(data)
        remaining -= len(data)
