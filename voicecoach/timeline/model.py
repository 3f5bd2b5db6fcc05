"""The timeline: the contract between the compiler and everything after it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal["speech", "tone", "mark"]


@dataclass(frozen=True)
class Event:
    """One sound in the session: a spoken phrase or a tone, with exact times; or a
    mark, the silent moment a tone would sound (`tones: none`, in Timeline.marks)."""

    kind: EventKind
    """"speech", "tone" or "mark"."""
    start: float
    """Onset in seconds from the start of the track."""
    end: float
    """End in seconds (start + the sound's duration)."""
    text: str | None = None
    """What is said (speech events only)."""
    tone: str | None = None
    """Which tone is played (tone events), or would be (marks): count, go, up, hold,
    down, end, side."""
    exercise: int | None = None
    """0-based index of the exercise this belongs to; None in the intro and outro."""
    side: str | None = None
    """The side being worked ("left", "right", ...) or None."""
    set: int | None = None
    """1-based set number (per side) or None."""
    rep: int | None = None
    """1-based rep number or None."""

    @property
    def duration(self) -> float:
        """Length of the sound in seconds."""
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        """The event as an object of the timeline JSON (docs/DESIGN.md)."""
        data: dict[str, Any] = {"kind": self.kind}
        if self.kind != "speech":
            data[self.kind] = self.tone
        data["start"] = _round(self.start)
        data["end"] = _round(self.end)
        if self.kind == "speech":
            data["text"] = self.text
        data.update(exercise=self.exercise, side=self.side, set=self.set, rep=self.rep)
        return data


@dataclass(frozen=True)
class Chapter:
    """A titled stretch of the track; chapters tile the whole track."""

    title: str
    """Shown in podcast players (intro, each exercise's name, outro)."""
    start: float
    """Start in seconds."""
    end: float
    """End in seconds (the next chapter's start)."""
    exercise: int | None = None
    """0-based index of the exercise this chapter holds; None for the intro and outro."""

    def to_json(self) -> dict[str, Any]:
        """The chapter as a timeline JSON object."""
        return {
            "title": self.title,
            "start": _round(self.start),
            "end": _round(self.end),
            "exercise": self.exercise,
        }

    @classmethod
    def from_json(cls, data: Any) -> Chapter:
        """A chapter from its JSON object (one written before chapters carried their
        exercise reads as exercise None); KeyError, TypeError or ValueError if malformed."""
        if not isinstance(data, dict):
            raise TypeError(f"a chapter is an object, not {type(data).__name__}")
        exercise = data.get("exercise")
        if exercise is not None and (type(exercise) is not int or exercise < 0):
            raise ValueError(f"chapter exercise {exercise!r} is not an index")
        return cls(str(data["title"]), float(data["start"]), float(data["end"]), exercise)


@dataclass(frozen=True)
class Timeline:
    """Every event of a session with exact times, its chapters and total duration."""

    title: str
    """The programme's title."""
    duration: float
    """Total length of the track in seconds."""
    chapters: tuple[Chapter, ...]
    """Intro, one per exercise, outro; contiguous from 0 to duration."""
    events: tuple[Event, ...]
    """All events, sorted by start time."""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    """Plan adjustments the user should know of (e.g. a rest that had to grow)."""
    marks: tuple[Event, ...] = ()
    """With `tones: none`: where each tone would sound (silent, kind "mark"), sorted,
    so the player page finds sets and reps as it does from tones. Empty with tones."""

    def speech(self) -> tuple[Event, ...]:
        """The speech events in order."""
        return tuple(e for e in self.events if e.kind == "speech")

    def tones(self) -> tuple[Event, ...]:
        """The tone events in order."""
        return tuple(e for e in self.events if e.kind == "tone")

    def beats(self) -> tuple[Event, ...]:
        """The moments of the rhythm: the tone events, or the marks without tones."""
        return self.marks or self.tones()

    def phrases(self) -> tuple[str, ...]:
        """Every distinct spoken text, in order of first use."""
        return tuple(dict.fromkeys(e.text for e in self.speech() if e.text))


def _round(seconds: float) -> float:
    """Round a time to the microsecond so JSON output is stable."""
    return round(seconds, 6)
