"""Load programme YAML into validated, located, immutable data."""

from voicecoach.script.loader import load_programme
from voicecoach.script.model import Exercise, Programme

__all__ = ["Exercise", "Programme", "load_programme"]
