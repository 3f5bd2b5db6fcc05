"""Decode any audio file ffmpeg reads (through pydub) into mono float32 at one rate.

``decode_file`` holds the whole file (and pydub's copies of it) in memory: for short
sounds. ``decode_stream`` gives the same samples a chunk at a time, for a music bed.
"""

from __future__ import annotations

import contextlib
import struct
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from voicecoach.wavio import pydub_misreads, read_fmt_chunk

STREAM_FRAMES = 1 << 16
"""Frames of the decoded file ``decode_stream`` converts at a time."""


class DecodeError(Exception):
    """A file could not be read or decoded as audio; the message says why, in plain words."""


def _check_readable(path: Path) -> None:
    """DecodeError unless PATH is a regular file we can read (checked before opening,
    so a FIFO or device is refused instead of blocking or flooding the read)."""
    if path.is_dir():
        raise DecodeError("is a folder, not an audio file")
    if path.exists() and not path.is_file():
        raise DecodeError("is not a regular file")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise DecodeError(f"cannot be read: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _pydub_quiet() -> Iterator[None]:
    """Within the block, pydub's warnings are not shown (its import warns about
    audioop's future, its decoders about formats they guess)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def decode_file(path: Path, sample_rate: int, max_seconds: float | None = None) -> np.ndarray:
    """PATH's audio as mono float32 at SAMPLE_RATE (channels averaged), at most
    MAX_SECONDS of it. DecodeError if it cannot be read, decoded, or holds no audio."""
    _check_readable(path)
    if pydub_misreads(path):  # ffmpeg converts them, as for a music bed
        chunks = list(decode_stream(path, sample_rate, max_seconds))
        return np.concatenate(chunks).astype(np.float32) / np.float32(32768.0)
    with _pydub_quiet():
        from pydub import AudioSegment
        from pydub.exceptions import CouldntDecodeError
        from pydub.utils import audioop
    refused = (CouldntDecodeError, IndexError, KeyError, ValueError, TypeError, OSError)
    try:
        with _pydub_quiet():
            segment = AudioSegment.from_file(str(path), duration=max_seconds)
            segment = segment.set_channels(1).set_sample_width(2).set_frame_rate(sample_rate)
    except (*refused, getattr(audioop, "error", ValueError)) as exc:
        raise DecodeError(f"cannot be decoded as audio{_reason(exc)}") from None
    samples = np.frombuffer(segment.raw_data, dtype="<i2").astype(np.float32) / 32768.0
    if len(samples) == 0:
        raise DecodeError("holds no audio")
    return samples


def decode_stream(
    path: Path, sample_rate: int, max_seconds: float | None = None
) -> Iterator[np.ndarray]:
    """PATH's audio as int16 mono at SAMPLE_RATE, a chunk at a time: the samples
    ``decode_file`` gives (times 32768), from pydub's own ffmpeg command and audioop
    conversions, but never more than a chunk of them in memory. DecodeError (possibly
    after some chunks: use none until the last) if it cannot be read or decoded, or
    holds no audio."""
    _check_readable(path)
    with _pydub_quiet():
        from pydub.utils import audioop, mediainfo_json
    try:
        with _pydub_quiet():
            info = mediainfo_json(str(path))
        command = ["ffmpeg", "-v", "error", "-y", "-i", str(path)]
        command += ["-acodec", _pydub_codec(info), "-vn", "-f", "wav"]
    except (IndexError, KeyError, ValueError, TypeError, OSError) as exc:
        raise DecodeError(f"cannot be decoded as audio{_reason(exc)}") from None
    # pydub reads a PCM .wav itself and cuts it at whole milliseconds; other files
    # ffmpeg cuts (-t)
    slice_ms = max_seconds * 1000 if max_seconds is not None and _pydub_reads(path) else None
    if max_seconds is not None:
        command += ["-t", str(max_seconds + 1.0 if slice_ms is not None else max_seconds)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [*command, "-"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )
        assert process.stdout is not None
        try:
            count = 0
            fmt = _wav_format(process.stdout)
            raw = _raw_chunks(process.stdout, fmt, slice_ms)
            for chunk in _mono_chunks(raw, fmt, sample_rate, audioop):
                count += len(chunk)
                yield chunk
            if process.wait() != 0:
                raise DecodeError(f"cannot be decoded as audio{_stderr_reason(errors)}")
        except _NotWav:
            process.kill()  # it may be blocked writing what nobody will read
            process.wait()
            raise DecodeError(f"cannot be decoded as audio{_stderr_reason(errors)}") from None
        finally:
            process.stdout.close()
            if process.poll() is None:
                process.kill()
                process.wait()
    if count == 0:
        raise DecodeError("holds no audio")


def _pydub_codec(info: dict) -> str:
    """The PCM codec pydub's ``from_file`` asks ffmpeg for, from ffprobe's INFO."""
    stream = [s for s in info["streams"] if s["codec_type"] == "audio"][0]
    if stream.get("sample_fmt") == "fltp" and stream.get("codec_name") in (
        "mp3",
        "mp4",
        "aac",
        "webm",
        "ogg",
    ):
        bits = 16
    else:
        bits = stream["bits_per_sample"]
    if bits > 32 or str(stream.get("codec_name", "")).startswith("pcm_f"):
        bits = 32  # float and 64-bit samples, which pydub misreads (wavio.pydub_misreads)
    return "pcm_u8" if bits == 8 else f"pcm_s{bits}le"


class _NotWav(Exception):
    """ffmpeg's output is not the WAV stream asked for (it failed)."""


def _read(stream: IO[bytes], count: int) -> bytes:
    """COUNT bytes from STREAM (fewer only at its end)."""
    parts, left = [], count
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _wav_format(stream: IO[bytes]) -> tuple[int, int, int]:
    """(channels, frame rate, sample width) from the WAV header on STREAM, read up to
    its data (sizes in a piped header are not to be trusted: the data runs to the end)."""
    if _read(stream, 12)[:4] != b"RIFF":
        raise _NotWav
    fmt = None
    while True:
        header = _read(stream, 8)
        if len(header) < 8:
            raise _NotWav
        name, size = header[:4], struct.unpack("<I", header[4:])[0]
        if name == b"data":
            break
        body = _read(stream, size + (size & 1))
        if name == b"fmt " and len(body) >= 16:
            tag, channels, rate = struct.unpack_from("<HHI", body)
            bits = struct.unpack_from("<H", body, 14)[0]
            if tag not in (1, 0xFFFE) or channels < 1 or bits not in (8, 16, 24, 32):
                raise _NotWav
            fmt = (channels, rate, bits // 8)
    if fmt is None:
        raise _NotWav
    return fmt


def _pydub_reads(path: Path) -> bool:
    """Whether pydub reads PATH itself (a RIFF .wav file whose format it knows: integer PCM
    or WAVE_FORMAT_EXTENSIBLE) rather than through ffmpeg."""
    if path.suffix.lower() != ".wav":
        return False
    found = read_fmt_chunk(path)
    return (
        found is not None
        and found[0] == b"RIFF"
        and len(found[1]) >= 2
        and struct.unpack_from("<H", found[1])[0] in (1, 0xFFFE)
    )


def _raw_chunks(
    stream: IO[bytes], fmt: tuple[int, int, int], slice_ms: float | None
) -> Iterator[bytes]:
    """The WAV data on STREAM in whole frames, a chunk at a time. With SLICE_MS, only
    the frames pydub keeps when it slices a WAV file it read to its first SLICE_MS
    milliseconds: int(min(SLICE_MS, its length in whole ms) * rate / 1000) (the last
    few frames are held back until the stream's end tells its length)."""
    channels, rate, width = fmt
    frame = channels * width
    hold = rate // 1000 + 2  # more than a millisecond
    cap = None if slice_ms is None else int(slice_ms * (rate / 1000.0))
    pending, sent, total = b"", 0, 0
    while True:
        data = _read(stream, STREAM_FRAMES * frame)
        end = len(data) < STREAM_FRAMES * frame
        data = data[: len(data) - len(data) % frame]
        total += len(data) // frame
        if cap is None or slice_ms is None:  # all of it
            if data:
                yield data
            if end:
                return
            continue
        pending += data
        if end:
            keep = int(min(slice_ms, round(1000 * total / rate)) * (rate / 1000.0))
        else:
            keep = min(cap, total - hold)
        count = max(0, min(keep, total) - sent)
        if count:
            yield pending[: count * frame]
            pending = pending[count * frame :]
            sent += count
        if end:
            return


def _mono_chunks(
    chunks: Iterator[bytes], fmt: tuple[int, int, int], sample_rate: int, audioop
) -> Iterator[np.ndarray]:
    """CHUNKS of WAV data as int16 mono at SAMPLE_RATE, converted a chunk at a time as
    pydub converts the whole: unsigned 8-bit biased, 24-bit widened to 32 (pydub's
    way), channels averaged (``set_channels(1)``), 16-bit (``lin2lin``), resampled
    (``ratecv``, its state carried from chunk to chunk)."""
    channels, rate, width = fmt
    state = None
    for data in chunks:
        if width == 1:
            data = audioop.bias(data, 1, -128)
        if width == 3:
            data, width_now = _widen_24(data), 4
        else:
            width_now = width
        if channels == 2:
            data = audioop.tomono(data, width_now, 0.5, 0.5)
        elif channels > 2:
            kind = {1: np.int8, 2: np.int16, 4: np.int32}[width_now]
            samples = np.frombuffer(data, dtype=kind).reshape(-1, channels).astype(np.int64)
            data = (samples // channels).sum(axis=1).astype(kind).tobytes()
        if width_now != 2:
            data = audioop.lin2lin(data, width_now, 2)
        if rate != sample_rate:
            data, state = audioop.ratecv(data, 2, 1, rate, sample_rate, state)
        if data:
            yield np.frombuffer(data, dtype="<i2")


def _widen_24(data: bytes) -> bytes:
    """24-bit samples as 32-bit ones the way pydub's AudioSegment makes them: the three
    bytes above a low byte of 0x00 (0xFF for a negative sample)."""
    three = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3)
    four = np.empty((len(three), 4), dtype=np.uint8)
    four[:, 0] = np.where(three[:, 2] > 0x7F, 0xFF, 0x00)
    four[:, 1:] = three
    return four.tobytes()


def _stderr_reason(errors: IO[bytes]) -> str:
    """': <ffmpeg's last line>' from what it wrote to ERRORS, if that says anything."""
    errors.seek(0)
    text = errors.read(1 << 16).decode(errors="replace")
    return _reason(Exception(text))


def _reason(exc: BaseException) -> str:
    """': <ffmpeg's last line>' from a pydub decoding error, if it says more."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if not last or last.startswith("Decoding failed") or len(last) > 200:
        return ""
    return f": {last}"


def probe_audio(path: Path) -> None:
    """DecodeError unless PATH is a readable file in which ffprobe finds an audio
    stream (quick: nothing is decoded)."""
    _check_readable(path)
    command = ["ffprobe", "-v", "error", "-select_streams", "a"]
    command += ["-show_entries", "stream=codec_type", "-of", "csv=p=0", str(path)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DecodeError(f"cannot be probed with ffprobe: {exc}") from None
    if "audio" not in result.stdout:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        why = f": {lines[-1]}" if lines and len(lines[-1]) < 200 else ""
        raise DecodeError(f"holds no audio that ffmpeg can read{why}")
