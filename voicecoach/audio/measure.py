"""Measure an encoded file as decoded: ffmpeg decodes it once to float PCM over a pipe,
and the loudness and true peak are measured here, block by block (bounded memory).

An MP3 of mono frames with the bit reservoir off (as builds write) is decoded only
where it sounds: a frame with no spectral data after another such frame decodes to
exact zeros (nothing is left in the decoder's overlap or filterbank), so those are
counted as zeros, not decoded; the other runs of frames go to one ffmpeg one after
another (each run ends with an empty frame, which leaves the decoder as empty as the
zeros after it would). The samples measured are a whole decode's, bit for bit (tested).

The meters are the project's own (`loudness.LoudnessMeter`, BS.1770 integrated loudness,
and `loudness.TruePeakMeter`, 8x oversampled); on real builds they read what ffmpeg's
``ebur128`` reads (and ``aresample=192000,astats`` for the true peak) within the
tolerances tests/test_measure_e2e.py checks, for a fraction of its cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from voicecoach.audio import mp3frames
from voicecoach.audio.clip_levels import read_array, write_array
from voicecoach.audio.encode import INSTALL_HINT, ffmpeg_file, find_ffmpeg
from voicecoach.audio.loudness import LoudnessMeter, TruePeakMeter
from voicecoach.errors import AudioError
from voicecoach.wavio import EXTENSIBLE, FLOAT

TRUE_PEAK_ALLOWANCE_DB = 0.1
"""dB ffmpeg's true peak (``ebur128=peak=true``, or resampled to 192 kHz) may read above
ours (on real builds it read up to 0.03 dB above); write_track adds it before comparing
with the ceiling, so a track it passes is under the ceiling as ffmpeg measures it too."""

MEASURED_FORMAT = "voicecoach.measured/1"
"""Bump when the meters change: part of the key of every kept measurement."""

_BLOCK_SAMPLES = 30 * 4410
"""Samples read at a time: 3 s at 44.1 kHz, whole 100 ms loudness segments there."""


@dataclass(frozen=True)
class Measured:
    """Loudness and true peak of an audio file as decoded, the way ffmpeg measures."""

    lufs: float
    """Integrated loudness (BS.1770, as ffmpeg's ``ebur128``), LUFS; -inf for silence."""
    true_peak: float
    """True peak, dBTP: the largest magnitude of the decoded signal 8x oversampled
    (ffmpeg's ``ebur128=peak=true`` reads at most `TRUE_PEAK_ALLOWANCE_DB` more)."""


def measure_output(path: Path) -> Measured:
    """Decode PATH once with ffmpeg (float mono at the file's own rate) and measure
    its integrated loudness and true peak; AudioError if it cannot be decoded. An MP3
    whose frames `sounding_frames` can plan is decoded only where it sounds."""
    frames = sounding_frames(path)
    if frames is not None:
        measured = _measure_frames(path, frames)
        if measured is not None:
            return measured
    return measure_whole(path)


def measure_kept(path: Path, directory: Path | None) -> Measured:
    """`measure_output` of PATH, kept in DIRECTORY (None: measured every time) under the
    digest of PATH's bytes and of the ffmpeg that decodes them (its path, size and
    time), so a file written again byte for byte (a warm rebuild of the same track) is
    not decoded again: its measurement is read back."""
    if directory is None:
        return measure_output(path)
    key = _measurement_key(path)
    kept = directory / key[:2] / f"{key}.npy"
    found = read_array(kept, np.dtype("<f8"), 2)
    if found is not None and _plausible(float(found[0]), float(found[1])):
        return Measured(float(found[0]), float(found[1]))
    measured = measure_output(path)
    write_array(kept, np.array([measured.lufs, measured.true_peak], dtype="<f8"))
    return measured


def _measurement_key(path: Path) -> str:
    """The name a measurement of the file at PATH is kept under (`measure_kept`)."""
    ffmpeg = os.path.realpath(find_ffmpeg())
    tool = os.stat(ffmpeg)
    digest = hashlib.sha256(
        f"{MEASURED_FORMAT}|{ffmpeg}|{tool.st_size}|{tool.st_mtime_ns}|".encode()
    )
    with open(path, "rb") as handle:
        while chunk := handle.read(_READ):
            digest.update(chunk)
    return digest.hexdigest()


def _plausible(lufs: float, true_peak: float) -> bool:
    """Whether a kept measurement is one `measure_output` could have made (its meters
    read no NaN, and -inf only for silence)."""
    silent = lufs == -math.inf
    loudness_ok = silent or -200.0 < lufs < 50.0
    return loudness_ok and (-1000.0 < true_peak < 50.0 or silent and true_peak == -math.inf)


def measure_whole(path: Path) -> Measured:
    """`measure_output` of PATH decoded whole, whatever its format."""
    command = [find_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error"]
    command += ["-i", ffmpeg_file(path), "-map", "0:a:0", "-ac", "1", "-c:a", "pcm_f32le"]
    command += ["-map_metadata", "-1", "-fflags", "+bitexact", "-f", "wav", "pipe:1"]
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        except OSError as exc:
            raise AudioError(f"cannot run ffmpeg: {exc}; {INSTALL_HINT}") from exc
        assert process.stdout is not None
        try:
            with process.stdout:
                measured = _measure_wav_stream(process.stdout)
        except BaseException:
            process.kill()
            raise
        finally:
            process.wait()
        stderr.seek(0)
        message = stderr.read().decode("utf-8", "replace")
    if process.returncode != 0 or measured is None:
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {process.returncode}"
        raise AudioError(f"cannot measure {path}: {last.replace(ffmpeg_file(path), str(path))}")
    return measured


def _measure_wav_stream(stream: IO[bytes]) -> Measured | None:
    """Loudness and true peak of the float WAV ffmpeg writes to STREAM (None if it
    wrote no WAV header: ffmpeg failed, and its stderr says why)."""
    sample_rate = _read_wav_header(stream)
    if sample_rate is None:
        return None
    loudness = LoudnessMeter(sample_rate)
    peaks = TruePeakMeter()
    while chunk := stream.read(_BLOCK_SAMPLES * 4):
        block = np.frombuffer(chunk[: len(chunk) // 4 * 4], dtype="<f4")
        loudness.feed(block)
        peaks.feed(block)
    peak = peaks.peak()
    return Measured(loudness.integrated(), 20.0 * math.log10(peak) if peak > 0 else -math.inf)


def _read_wav_header(stream: IO[bytes]) -> int | None:
    """Read STREAM up to its "data" chunk's samples; the sample rate (None: not a WAV
    of mono 32-bit float, as measure_output asks ffmpeg for)."""
    riff = stream.read(12)
    if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        return None
    sample_rate = None
    while len(header := stream.read(8)) == 8:
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk_id == b"data":
            return sample_rate
        body = stream.read(size + (size & 1))
        if chunk_id == b"fmt " and len(body) >= 16:
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]
            if tag != FLOAT or channels != 1 or bits != 32:
                return None
            sample_rate = rate
    return None


@dataclass(frozen=True)
class SoundingFrames:
    """Where an MP3 (mono, bit reservoir off, an Info frame first) needs decoding."""

    sample_rate: int
    """The frames' sample rate (Hz)."""
    offsets: np.ndarray
    """Byte offset of each audio frame in the file, and of the end of the last."""
    runs: tuple[tuple[int, int], ...]
    """The (first, stop) audio frames of every run that does not decode to zeros."""
    delay: int
    """Samples a decoder drops at the start (the encoder's delay and its own)."""
    samples: int
    """Samples the whole file decodes to."""


_READ = 1 << 20


def sounding_frames(path: Path) -> SoundingFrames | None:
    """The frames of the MP3 at PATH (whatever its name) that decode to something other
    than zeros (None when PATH is not an MP3 this can plan for: not mono MPEG-1 Layer
    III, no Info frame, a frame with a CRC or using the bit reservoir, bytes that are
    not frames)."""
    try:
        with open(path, "rb") as handle:
            return _plan_frames(handle)
    except (OSError, ValueError):
        return None


def _plan_frames(handle: IO[bytes]) -> SoundingFrames | None:
    """`sounding_frames` of an open file; ValueError where its bytes are not frames."""
    base = _id3_length(handle.read(10))
    handle.seek(base)
    info = handle.read(4)
    if len(info) < 4 or mp3frames.channels(info) != 1:
        return None
    info += handle.read(mp3frames.frame_length(info) - 4)
    if not mp3frames.is_info_frame(info):
        return None
    # ffmpeg trims the delay and padding only as LAME, Lavf or Lavc write them, and a
    # padding under its decoder's delay not at all
    if mp3frames.info_encoder(info)[:4] not in (b"LAME", b"Lavf", b"Lavc"):
        return None
    if mp3frames.info_padding(info) < mp3frames.DECODER_DELAY:
        return None
    first = base + len(info)
    end = handle.seek(0, 2)
    handle.seek(max(first, end - 128))
    if handle.read(3) == b"TAG":  # an ID3v1 tag after the frames
        end -= 128
    lengths: list[np.ndarray] = []
    silent: list[np.ndarray] = []
    carry = b""
    handle.seek(first)
    while data := handle.read(min(_READ, end - handle.tell())):
        buffer = carry + data
        found, stop = mp3frames.walk_frames(buffer)
        if not found:
            carry = buffer
            continue
        sizes = np.array(found, dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(sizes[:-1])))
        heads = np.frombuffer(buffer, dtype=np.uint8)
        side = heads[starts[:, None] + 4 + np.arange(mp3frames.SIDE_INFO_BYTES)]
        protected = ~heads[starts + 1] & 1
        if protected.any() or (mp3frames.main_data_begin(side) != 0).any():
            return None
        if ((heads[starts + 3] >> 6) != 3).any():  # a frame that is not mono
            return None
        lengths.append(sizes)
        silent.append(mp3frames.silent_frames(side))
        carry = buffer[stop:]
    if carry:
        return None
    sizes = np.concatenate([*lengths, np.zeros(0, dtype=np.int64)])
    count = mp3frames.info_frames(info)
    if len(sizes) != count:
        return None
    empty = np.concatenate([*silent, np.zeros(0, dtype=bool)])
    zeros = empty.copy()
    zeros[1:] &= empty[:-1]  # after another empty frame: nothing left in the decoder
    edges = np.flatnonzero(np.diff(np.concatenate(([0], (~zeros).astype(np.int8), [0]))))
    runs = tuple(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))
    offsets = np.concatenate(([first], first + np.cumsum(sizes)))
    delay = mp3frames.info_delay(info) + mp3frames.DECODER_DELAY
    return SoundingFrames(
        mp3frames.sample_rate(info), offsets, runs, delay, mp3frames.info_samples(info)
    )


def _id3_length(head: bytes) -> int:
    """Bytes of the ID3v2 tag HEAD (a file's first 10 bytes) starts, 0 if it is none."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)


def _measure_frames(path: Path, frames: SoundingFrames) -> Measured | None:
    """Measure the MP3 at PATH from its sounding FRAMES alone (None if ffmpeg did not
    decode them to 1152 samples a frame: the caller decodes the whole file instead)."""
    loudness = LoudnessMeter(frames.sample_rate)
    peaks = TruePeakMeter()
    done = 0
    try:
        with contextlib.closing(_sounding_samples(path, frames)) as blocks:
            for start, block in blocks:
                loudness.skip(start - done)
                peaks.skip(start - done)
                loudness.feed(block)
                peaks.feed(block)
                done = start + len(block)
    except _NotDecoded:
        return None
    loudness.skip(frames.samples - done)
    peak = peaks.peak()
    return Measured(loudness.integrated(), 20.0 * math.log10(peak) if peak > 0 else -math.inf)


class _NotDecoded(Exception):
    """ffmpeg failed, or decoded the frames sent to other than 1152 samples each."""


def _sounding_samples(path: Path, frames: SoundingFrames) -> Iterator[tuple[int, np.ndarray]]:
    """(sample, block) pairs of the decoded file where it sounds, in order and inside
    its samples: the runs of FRAMES, sent to one ffmpeg one after another
    (whose samples are dropped); _NotDecoded if ffmpeg gave other than 1152 a frame."""
    if not frames.runs:
        return
    command = [find_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "mp3"]
    command += ["-i", "pipe:0", "-map", "0:a:0", "-ac", "1", "-f", "f32le", "pipe:1"]
    size = mp3frames.FRAME_SAMPLES
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError as exc:
        raise AudioError(f"cannot run ffmpeg: {exc}; {INSTALL_HINT}") from exc
    assert process.stdin is not None and process.stdout is not None
    writer = threading.Thread(
        target=_send_frames, args=(path, frames.offsets, frames.runs, process.stdin), daemon=True
    )
    writer.start()
    try:
        with process.stdout:
            decoded = _FloatReader(process.stdout)
            for first, stop in frames.runs:
                position = first * size - frames.delay
                for block in decoded.read((stop - first) * size):
                    lo, hi = max(0, -position), min(len(block), frames.samples - position)
                    if hi > lo:
                        yield position + lo, block[lo:hi]
                    position += len(block)
            if not decoded.at_end():
                raise _NotDecoded
        if process.wait() != 0:
            raise _NotDecoded
    finally:
        process.kill()
        process.wait()
        writer.join()


def _send_frames(
    path: Path, offsets: np.ndarray, runs: tuple[tuple[int, int], ...], stdin: IO[bytes]
) -> None:
    """Write the bytes of the frames of every run in RUNS to STDIN, then close
    it (stopping quietly if the decoder went away)."""
    with contextlib.suppress(OSError, ValueError), stdin, open(path, "rb") as handle:
        for first, stop in runs:
            handle.seek(int(offsets[first]))
            remaining = int(offsets[stop] - offsets[first])
            while remaining:
                data = handle.read(min(_READ, remaining))
                if not data:
                    return
                stdin.write(data)
                remaining -= len(data)


class _FloatReader:
    """Little-endian float samples from a stream, read a given count at a time."""

    def __init__(self, stream: IO[bytes]) -> None:
        """A reader of STREAM, from its current position."""
        self._stream = stream
        self._rest = np.zeros(0, dtype="<f4")
        self._odd = b""

    def read(self, count: int) -> Iterator[np.ndarray]:
        """The next COUNT samples, in blocks; _NotDecoded if the stream ends first."""
        while count:
            if not len(self._rest) and not self._fill():
                raise _NotDecoded
            block, self._rest = self._rest[:count], self._rest[count:]
            count -= len(block)
            yield block

    def at_end(self) -> bool:
        """Whether the stream has no samples left."""
        return not len(self._rest) and not self._fill()

    def _fill(self) -> bool:
        """Read the next block of samples; False at the end of the stream."""
        while chunk := self._stream.read(_BLOCK_SAMPLES * 4):
            chunk = self._odd + chunk
            whole = len(chunk) // 4 * 4
            self._odd = chunk[whole:]
            if whole:
                self._rest = np.frombuffer(chunk[:whole], dtype="<f4")
                return True
        return False
