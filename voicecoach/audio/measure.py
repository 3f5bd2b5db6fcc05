"""Measure an encoded file as decoded: ffmpeg decodes it once to float PCM over a pipe,
and the loudness and true peak are measured here, block by block (bounded memory).

The meters are the project's own (`loudness.LoudnessMeter`, BS.1770 integrated loudness,
and `loudness.TruePeakMeter`, 8x oversampled); on real builds they read what ffmpeg's
``ebur128`` reads (and ``aresample=192000,astats`` for the true peak) within the
tolerances tests/test_measure_e2e.py checks, for a fraction of its cost.
"""

from __future__ import annotations

import math
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from voicecoach.audio.encode import INSTALL_HINT, ffmpeg_file, find_ffmpeg
from voicecoach.audio.loudness import LoudnessMeter, TruePeakMeter
from voicecoach.errors import AudioError
from voicecoach.wavio import EXTENSIBLE, FLOAT

TRUE_PEAK_ALLOWANCE_DB = 0.1
"""dB ffmpeg's true peak (``ebur128=peak=true``, or resampled to 192 kHz) may read above
ours (on real builds it read up to 0.03 dB above); write_track adds it before comparing
with the ceiling, so a track it passes is under the ceiling as ffmpeg measures it too."""

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
    its integrated loudness and true peak; AudioError if it cannot be decoded."""
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
