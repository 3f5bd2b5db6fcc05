"""Speech engines by name: the registry the CLI and the library choose from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voicecoach.errors import SpeechError
from voicecoach.speech.base import SpeechEngine

DEFAULT_ENGINE = "pyttsx3"

EngineFactory = Callable[..., SpeechEngine]

_FACTORIES: dict[str, EngineFactory] = {}


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make `get_engine(name, **options)` call `factory(**options)` (replaces any earlier)."""
    _FACTORIES[name] = factory


def engine_names() -> list[str]:
    """Registered engine names, the default first."""
    return sorted(_FACTORIES, key=lambda n: (n != DEFAULT_ENGINE, n))


def get_engine(name: str | None = None, **options: Any) -> SpeechEngine:
    """A new engine instance; SpeechError for an unknown name or unsupported option."""
    name = name or DEFAULT_ENGINE
    factory = _FACTORIES.get(name)
    if factory is None:
        known = ", ".join(engine_names())
        raise SpeechError(f'unknown speech engine "{name}"; known engines: {known}')
    try:
        return factory(**options)
    except TypeError as exc:
        raise SpeechError(f'bad options for speech engine "{name}": {exc}') from exc


def _pyttsx3(**options: Any) -> SpeechEngine:
    from voicecoach.speech.pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine(**options)


def _espeak_ng(**options: Any) -> SpeechEngine:
    from voicecoach.speech.espeak_engine import EspeakNgEngine

    return EspeakNgEngine(**options)


def _piper(**options: Any) -> SpeechEngine:
    from voicecoach.speech.piper_engine import PiperEngine

    return PiperEngine(**options)


def _command(**options: Any) -> SpeechEngine:
    from voicecoach.speech.command_engine import CommandEngine

    return CommandEngine(**options)


def _fake(**options: Any) -> SpeechEngine:
    """The fake engine (for tests; tests/speech_helpers.py runs it in a worker process)."""
    from voicecoach.speech.fake import FakeEngine

    return FakeEngine(**options)


register_engine("pyttsx3", _pyttsx3)
register_engine("espeak-ng", _espeak_ng)
register_engine("piper", _piper)
register_engine("command", _command)
register_engine("fake", _fake)
