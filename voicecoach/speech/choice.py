"""The default voice: the most natural one installed for a programme's language."""

from __future__ import annotations

import contextlib

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.piper_engine import piper_available
from voicecoach.speech.piper_voices import find_voice, looks_like_path

FALLBACK_ENGINE = "pyttsx3"
"""Speaks every language espeak-ng knows, with a formant (robotic but clear) voice."""
QUALITY = {"piper": "neural", "pyttsx3": "formant", "espeak-ng": "formant"}
"""How each engine's voices sound."""


def best_voice(language: str, name: str | None = None) -> tuple[str, str]:
    """(engine, voice name) for a voice without an engine: a Piper voice named NAME or
    speaking NAME/LANGUAGE if one is installed, else pyttsx3 speaking NAME or LANGUAGE."""
    if name and looks_like_path(name):
        return "piper", name
    if piper_available():
        try:
            return "piper", find_voice(name, language).name
        except SpeechError:
            pass
    return FALLBACK_ENGINE, name or language


def voice_label(voice: Voice) -> str:
    """What `build` says it speaks with, e.g. "piper en_US-joe-medium (neural)"."""
    name = voice.name or "default"
    if voice.engine == "piper":
        with contextlib.suppress(SpeechError):
            name = find_voice(voice.name).name
    quality = QUALITY.get(voice.engine or "")
    return f"{voice.engine} {name}" + (f" ({quality})" if quality else "")
