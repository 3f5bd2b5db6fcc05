"""Decode any audio file ffmpeg reads (through pydub) into mono float32 at one rate."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import numpy as np


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


def decode_file(path: Path, sample_rate: int, max_seconds: float | None = None) -> np.ndarray:
    """PATH's audio as mono float32 at SAMPLE_RATE (channels averaged), at most
    MAX_SECONDS of it. DecodeError if it cannot be read, decoded, or holds no audio."""
    _check_readable(path)
    with warnings.catch_warnings():  # pydub's import warns about audioop's future
        warnings.simplefilter("ignore")
        from pydub import AudioSegment
        from pydub.exceptions import CouldntDecodeError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            segment = AudioSegment.from_file(str(path), duration=max_seconds)
            segment = segment.set_channels(1).set_sample_width(2).set_frame_rate(sample_rate)
    except (CouldntDecodeError, IndexError, KeyError, ValueError, TypeError, OSError) as exc:
        raise DecodeError(f"cannot be decoded as audio{_reason(exc)}") from None
    samples = np.frombuffer(segment.raw_data, dtype="<i2").astype(np.float32) / 32768.0
    if len(samples) == 0:
        raise DecodeError("holds no audio")
    return samples


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
