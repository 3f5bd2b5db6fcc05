"""The tone sets: the committed standard WAVs in ``audio_assets/`` (or generated in
memory), the generated soft set, or a folder of the user's own tones in any format."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from voicecoach.audio.decode import DecodeError, decode_file
from voicecoach.audio.tone_synth import TONE_STYLES, generate_tone, generate_tones, tone_length
from voicecoach.errors import AudioError
from voicecoach.speech.base import Clip
from voicecoach.timeline.tone_lengths import TONE_LENGTHS
from voicecoach.wavio import SAMPLE_RATE, WavFormatError, build_wav, parse_wav, pcm16

ASSETS_DIR = Path(__file__).resolve().parents[2] / "audio_assets"
"""``audio_assets/`` beside the package in a source checkout (absent when installed)."""


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A 16-bit mono WAV file holding SAMPLES (byte-identical for equal input)."""
    return build_wav(pcm16(samples), sample_rate)


def tone_wav_bytes(name: str) -> bytes:
    """The WAV file ``scripts/make_assets.py`` writes for the tone NAME."""
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
    """Every tone by name: from DIRECTORY (default ``ASSETS_DIR``) if it exists,
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


_TRIM_FADE = 0.010
"""Seconds of fade-out where a tone from a folder is cut to its length."""


def load_tone_set(style: str = "standard", folder: Path | None = None) -> dict[str, Clip]:
    """The tones of STYLE (``standard`` or ``soft``), or of FOLDER when it is given."""
    if folder is not None:
        return load_tone_folder(folder)
    if style == "standard":
        return load_tones()
    if style not in TONE_STYLES:
        raise AudioError(f"no tone set {style!r}; choose one of {', '.join(TONE_STYLES)}")
    return {
        name: Clip(samples, SAMPLE_RATE)
        for name, samples in generate_tones(SAMPLE_RATE, style).items()
    }


def tone_files(folder: Path) -> dict[str, Path]:
    """The file of each tone in FOLDER (``up.wav``, ``count.mp3``, ...: the stem is the
    tone's name, any audio format). AudioError naming what is missing or ambiguous."""
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise AudioError(f"{folder}: cannot read the folder: {exc.strerror or exc}") from None
    found: dict[str, list[Path]] = {name: [] for name in TONE_LENGTHS}
    for path in entries:
        if path.stem.lower() in found and path.is_file():
            found[path.stem.lower()].append(path)
    missing = [name for name, paths in found.items() if not paths]
    if missing:
        raise AudioError(
            f"{folder} has no file for the tone{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (it needs one file each for: {', '.join(TONE_LENGTHS)})"
        )
    for name, paths in found.items():
        if len(paths) > 1:
            raise AudioError(
                f"{folder} has {len(paths)} files for the tone {name}: "
                f"{', '.join(p.name for p in paths)}; keep one"
            )
    return {name: paths[0] for name, paths in found.items()}


def load_tone_folder(folder: Path) -> dict[str, Clip]:
    """Every tone from FOLDER, decoded and fitted to its length in the timeline: longer
    files are cut (with a short fade-out, and a warning), shorter ones padded with silence."""
    tones: dict[str, Clip] = {}
    for name, path in tone_files(folder).items():
        length = tone_length(name, SAMPLE_RATE)
        try:
            samples = decode_file(path, SAMPLE_RATE, max_seconds=TONE_LENGTHS[name] + 1.0)
        except DecodeError as err:
            raise AudioError(f"{path} {err}") from None
        tones[name] = Clip(_fit(samples, length, name, path), SAMPLE_RATE)
    return tones


def _fit(samples: np.ndarray, length: int, name: str, path: Path) -> np.ndarray:
    """SAMPLES cut or padded to exactly LENGTH samples."""
    if len(samples) <= length:
        return np.pad(samples, (0, length - len(samples))).astype(np.float32)
    if len(samples) - length > 0.010 * SAMPLE_RATE:
        warnings.warn(
            f"{path.name}: the {name} tone lasts {TONE_LENGTHS[name]:g} s in the timeline; "
            "the rest of the file is cut",
            stacklevel=3,
        )
    fade = min(length, round(_TRIM_FADE * SAMPLE_RATE))
    cut = samples[:length].astype(np.float32, copy=True)
    ramp = 0.5 + 0.5 * np.cos(np.pi * (np.arange(fade) + 1) / fade)
    cut[length - fade :] *= ramp.astype(np.float32)
    return cut
