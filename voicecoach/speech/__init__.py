"""Speech: engines behind one protocol, a registry, and the on-disk phrase cache."""

from voicecoach.speech.base import Clip, SpeechEngine, VoiceInfo, synthesize_checked
from voicecoach.speech.cache import PhraseCache, default_cache_dir
from voicecoach.speech.registry import engine_names, get_engine, register_engine

__all__ = [
    "Clip",
    "PhraseCache",
    "SpeechEngine",
    "VoiceInfo",
    "default_cache_dir",
    "engine_names",
    "get_engine",
    "register_engine",
    "synthesize_checked",
]
