"""Reading any audio file ffmpeg reads (wav, mp3, m4a, ogg, flac...) as a clip, with pydub."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np

from voicecoach.errors import SpeechError
from voicecoach.speech.base import Clip
from voicecoach.speech.dsp import finish
from voicecoach.wavio import WavFormatError, parse_wav, pydub_misreads

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".aiff", ".aif")
"""File name endings taken as audio (recorded clips, a command engine's output)."""
FFMPEG_MISSING = "ffmpeg was not found on PATH; run `sudo apt-get install ffmpeg`"


def read_samples(path: Path) -> tuple[np.ndarray, int]:
    """A file's audio as float32 (frames, channels) in -1..1 and its sample rate."""
    if pydub_misreads(path):  # float or wider than 32 bits: read here, exactly
        try:
            wav = parse_wav(path.read_bytes(), strict=False)
        except (OSError, WavFormatError) as exc:
            raise SpeechError(f"cannot decode {path}: {exc}") from None
        if not np.isfinite(wav.samples).all():
            raise SpeechError(f"cannot decode {path}: it holds samples that are not numbers")
        return wav.samples.reshape(len(wav.samples), -1), wav.sample_rate
    if shutil.which("ffmpeg") is None:
        raise SpeechError(FFMPEG_MISSING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pydub's "couldn't find ffmpeg"
        warnings.simplefilter("ignore", DeprecationWarning)  # pydub imports audioop
        from pydub import AudioSegment
        from pydub.exceptions import CouldntDecodeError

        try:
            segment = AudioSegment.from_file(str(path))
            raw = np.asarray(segment.get_array_of_samples())
        except CouldntDecodeError as exc:
            detail = str(exc).strip().splitlines()
            reason = next((line for line in reversed(detail) if line.strip()), "unknown format")
            raise SpeechError(f"cannot decode {path}: {reason.strip()}") from None
        except (OSError, IndexError, KeyError, ValueError) as exc:
            raise SpeechError(f"cannot read {path}: {exc}") from None
    width = segment.sample_width
    if width == 1:  # 8-bit audio is unsigned
        samples = (raw.astype(np.float32) - 128.0) / 128.0
    else:
        samples = raw.astype(np.float32) / float(1 << (8 * width - 1))
    channels = max(1, segment.channels)
    frames = len(samples) // channels
    return samples[: frames * channels].reshape(frames, channels), segment.frame_rate


def read_clip(path: Path) -> Clip:
    """The file as a voicecoach clip: mono, 44100 Hz, silence trimmed (never stretched)."""
    samples, rate = read_samples(path)
    if len(samples) == 0 or rate <= 0:
        raise SpeechError(f"{path} holds no audio")
    clip = finish(samples, rate)
    if len(clip) == 0:
        raise SpeechError(f"{path} holds only silence")
    return clip
