"""The tone assets: committed WAVs in ``audio_assets/``, or generated in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voicecoach.audio.tone_synth import generate_tone, tone_length
from voicecoach.errors import AudioError
from voicecoach.speech.base import Clip
from voicecoach.timeline.tone_lengths import TONE_LENGTHS
from voicecoach.wavio import SAMPLE_RATE, WavFormatError, build_wav, parse_wav, pcm16

ASSETS_DIR = Path(__file__).resolve().parents[2] / "audio_assets"
"""``audio_assets/`` beside the package in a source checkout (absent when installed)."""


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A 16-bit mono WAV file holding ``samples`` (byte-identical for equal input)."""
    return build_wav(pcm16(samples), sample_rate)


def tone_wav_bytes(name: str) -> bytes:
    """The WAV file ``scripts/make_assets.py`` writes for the tone ``name``."""
    return wav_bytes(generate_tone(name, SAMPLE_RATE), SAMPLE_RATE)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit mono WAV file as float32 samples and its sample rate."""
    try:
        wav = parse_wav(path.read_bytes())
    except (OSError, WavFormatError) as exc:
        raise AudioError(f"{path}: cannot read WAV file: {exc}") from exc
    if wav.samples.ndim != 1:
        raise AudioError(f"{path}: expected a mono WAV file")
    return wav.samples, wav.sample_rate


def load_tones(directory: Path | None = None) -> dict[str, Clip]:
    """Every tone by name: from ``directory`` (default ``ASSETS_DIR``) if it exists,
    else generated in memory. A WAV of the wrong rate or length is an AudioError."""
    directory = ASSETS_DIR if directory is None else directory
    tones: dict[str, Clip] = {}
    for name in TONE_LENGTHS:
        path = directory / f"{name}.wav"
        if not path.is_file():
            tones[name] = Clip(generate_tone(name, SAMPLE_RATE), SAMPLE_RATE)
            continue
        samples, rate = read_wav(path)
        expected = tone_length(name, SAMPLE_RATE)
        if rate != SAMPLE_RATE or len(samples) != expected:
            raise AudioError(
                f"{path}: expected {expected} samples at {SAMPLE_RATE} Hz, found "
                f"{len(samples)} at {rate} Hz (regenerate with: python scripts/make_assets.py)"
            )
        tones[name] = Clip(samples, rate)
    return tones
