"""Strict reading and writing of RIFF/WAVE files, with extra chunks (numpy, no scipy)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 44100
"""Frames per second of every clip, tone and track voicecoach renders (mono)."""

PCM = 1
FLOAT = 3
EXTENSIBLE = 0xFFFE


class WavFormatError(ValueError):
    """The bytes are not a complete, supported WAV file."""


@dataclass(frozen=True)
class WavData:
    """The decoded contents of a WAV file."""

    samples: np.ndarray
    """float32 samples in -1..1, shape (frames,) for mono or (frames, channels)."""
    sample_rate: int
    """Frames per second, as written in the file's header."""
    chunks: dict[str, bytes] = field(default_factory=dict)
    """Every chunk other than "fmt " and "data", by four-character id."""
    data: bytes = b""
    """The raw bytes of the "data" chunk (for checksums)."""


def parse_wav(raw: bytes, strict: bool = True) -> WavData:
    """Decode a whole WAV file; raise WavFormatError if it is truncated or unsupported.

    With strict=False, sizes larger than the file (as streaming writers leave them)
    are tolerated and the audio that is there is decoded.
    """
    if len(raw) < 12 or raw[:4] not in _RIFF_IDS or raw[8:12] != b"WAVE":
        raise WavFormatError("not a RIFF/WAVE file")
    declared = struct.unpack_from("<I", raw, 4)[0] + 8
    sizes = _ds64_sizes(raw) if raw[:4] != b"RIFF" else None
    if sizes is not None:  # RF64/BW64: the 64-bit sizes are in the ds64 chunk
        declared = sizes[0] + 8
    if declared > len(raw):
        if strict:
            raise WavFormatError(f"truncated: header says {declared} bytes, file has {len(raw)}")
        declared = len(raw)
    chunks: dict[str, bytes] = {}
    pos = 12
    while pos + 8 <= declared:
        cid = raw[pos : pos + 4].decode("latin-1")
        size = struct.unpack_from("<I", raw, pos + 4)[0]
        if sizes is not None and cid == "data" and size == 0xFFFFFFFF:
            size = sizes[1]
        body = raw[pos + 8 : pos + 8 + size]
        if len(body) < size and strict:
            raise WavFormatError(f"truncated {cid!r} chunk: {len(body)} of {size} bytes")
        chunks[cid] = body
        pos += 8 + size + (size & 1)
    if "fmt " not in chunks or "data" not in chunks:
        raise WavFormatError("missing 'fmt ' or 'data' chunk")
    fmt = chunks.pop("fmt ")
    data = chunks.pop("data")
    if len(fmt) < 16:
        raise WavFormatError("'fmt ' chunk too short")
    tag, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack_from("<H", fmt, 24)[0]
    if channels < 1 or rate < 1 or align != channels * (bits // 8):
        raise WavFormatError(f"bad format header ({channels} ch, {rate} Hz, {bits} bit)")
    if len(data) % align:
        if strict:
            raise WavFormatError("data chunk is not a whole number of frames")
        data = data[: len(data) - len(data) % align]
    samples = _decode(data, tag, bits).reshape(-1, channels)
    return WavData(samples[:, 0] if channels == 1 else samples, rate, chunks, data)


_RIFF_IDS = (b"RIFF", b"RF64", b"BW64")
"""The first four bytes of a WAV file: RIFF, or the 64-bit forms (sizes in 'ds64')."""


def _ds64_sizes(raw: bytes) -> tuple[int, int] | None:
    """(RIFF size, data size) from an RF64/BW64 file's 'ds64' chunk (the first one), or
    None without one."""
    if raw[12:16] != b"ds64" or len(raw) < 36:
        return None
    riff, data = struct.unpack_from("<QQ", raw, 20)
    return riff, data


def read_fmt_chunk(path: Path) -> tuple[bytes, bytes] | None:
    """The WAV file at PATH's first four bytes (RIFF, RF64 or BW64) and the start of its
    'fmt ' chunk (at most 40 bytes: the extensible format's sub-format included); None
    when PATH is no such file or cannot be read. Reads the chunk headers only."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
            if len(head) < 12 or head[:4] not in _RIFF_IDS or head[8:12] != b"WAVE":
                return None
            while True:
                header = handle.read(8)
                if len(header) < 8:
                    return None
                size = struct.unpack_from("<I", header, 4)[0]
                if header[:4] == b"fmt ":
                    return head[:4], handle.read(min(size, 40))
                handle.seek(size + (size & 1), 1)
    except OSError:
        return None


def read_sample_format(path: Path) -> tuple[int, int] | None:
    """(tag, bits per sample) of the WAV file at PATH, the extensible format's sub-format
    tag in place of EXTENSIBLE; None when `read_fmt_chunk` finds no whole 'fmt ' chunk."""
    found = read_fmt_chunk(path)
    if found is None or len(found[1]) < 16:
        return None
    fmt = found[1]
    tag, bits = struct.unpack_from("<H", fmt)[0], struct.unpack_from("<H", fmt, 14)[0]
    if tag == EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack_from("<H", fmt, 24)[0]
    return tag, bits


def pydub_misreads(path: Path) -> bool:
    """Whether PATH is a WAV file pydub may not read right: float samples (in the
    extensible format, as ffmpeg writes them, it takes them for integers: loud noise)
    or samples wider than 32 bits (it fails)."""
    found = read_sample_format(path)
    return found is not None and (found[0] == FLOAT or found[1] > 32)


def _decode(data: bytes, tag: int, bits: int) -> np.ndarray:
    """PCM or float sample bytes to float32 in -1..1."""
    if tag == PCM and bits == 8:
        return (np.frombuffer(data, np.uint8).astype(np.float32) - 128.0) / 128.0
    if tag == PCM and bits == 16:
        return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
    if tag == PCM and bits == 24:
        b = np.frombuffer(data, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        return v.astype(np.float32) / float(1 << 23)
    if tag == PCM and bits == 32:
        return (np.frombuffer(data, "<i4").astype(np.float64) / 2**31).astype(np.float32)
    if tag == FLOAT and bits in (32, 64):
        return np.frombuffer(data, "<f4" if bits == 32 else "<f8").astype(np.float32)
    raise WavFormatError(f"unsupported sample format (tag {tag}, {bits} bit)")


def mono_float32(samples: Any) -> np.ndarray:
    """Samples as a 1-D float32 array in -1..1: the one mono conversion (engine audio,
    clips in the mixer). Integers are scaled (unsigned ones centred), the channels of a
    (frames, channels) array averaged; float32 mono comes back as it is, not copied."""
    array = np.asarray(samples)
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        half = (int(info.max) - int(info.min) + 1) / 2
        centre = 0.0 if info.min < 0 else half
        array = ((array.astype(np.float64) - centre) / half).astype(np.float32)
    array = array.astype(np.float32, copy=False)
    if array.ndim > 1:
        array = array.reshape(len(array), -1).mean(axis=1, dtype=np.float32)
    return array


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in -1..1 as 16-bit integers (rounded, saturated): the one conversion
    every 16-bit output uses (cache entries, tones, the encoder's pipe, WAV sinks)."""
    scaled = np.rint(np.asarray(samples, dtype=np.float64) * 32767.0)
    return np.clip(scaled, -32768, 32767).astype("<i2")


def pcm16(samples: np.ndarray) -> bytes:
    """Float samples as 16-bit little-endian PCM bytes (silence, most of a session's
    blocks, without converting it)."""
    array = np.asarray(samples)
    if not array.any():
        return bytes(2 * array.size)
    return to_int16(array).tobytes()


def build_wav(data: bytes, sample_rate: int, extra: dict[str, bytes] | None = None) -> bytes:
    """A mono 16-bit WAV file holding DATA (16-bit PCM), extra chunks before the data."""
    fmt = struct.pack("<HHIIHH", PCM, 1, sample_rate, sample_rate * 2, 2, 16)
    body = _chunk("fmt ", fmt)
    for cid, payload in (extra or {}).items():
        body += _chunk(cid, payload)
    body += _chunk("data", data)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def _chunk(cid: str, payload: bytes) -> bytes:
    """One RIFF chunk, padded to an even length."""
    key = cid.encode("latin-1")
    if len(key) != 4:
        raise ValueError(f"chunk ids have four characters, got {cid!r}")
    pad = b"\0" if len(payload) & 1 else b""
    return key + struct.pack("<I", len(payload)) + payload + pad
