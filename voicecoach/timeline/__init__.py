"""Compile a programme into a timeline (pure: no audio, no I/O)."""

from voicecoach.timeline.compiler import compile_programme
from voicecoach.timeline.model import Chapter, Event, Timeline

__all__ = ["Chapter", "Event", "Timeline", "compile_programme"]
