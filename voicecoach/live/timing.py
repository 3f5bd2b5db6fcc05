"""Where to start and how to say where we are: exercises, chapters and clock times."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicecoach.timeline.clock import clock
from voicecoach.timeline.model import Timeline

_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)$")


@dataclass(frozen=True)
class StartSpec:
    """A parsed ``--from``: an exercise number or a time into the track."""

    exercise: int | None = None
    """1-based exercise to start at (None: start at ``seconds``)."""
    seconds: float = 0.0
    """Time into the track to start at, when no exercise is given."""


def parse_start(text: str) -> StartSpec:
    """``N`` (exercise N, 1-based) or ``M:SS`` / ``H:MM:SS`` (a time); ValueError if neither."""
    text = text.strip()
    if text.isdigit():
        return StartSpec(exercise=int(text))
    match = _CLOCK.match(text)
    if match is None:
        raise ValueError(f"{text!r} is neither an exercise number nor a time like 2:30")
    hours, minutes, seconds = match.groups()
    if float(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        raise ValueError(f"{text!r} is not a valid time (seconds and minutes go up to 59)")
    return StartSpec(seconds=int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds))


def exercise_count(timeline: Timeline) -> int:
    """How many exercises have a chapter."""
    return len({c.exercise for c in timeline.chapters if c.exercise is not None})


def start_seconds(timeline: Timeline, spec: StartSpec) -> float:
    """The time SPEC starts at in TIMELINE; ValueError (saying the range) if outside."""
    if spec.exercise is None:
        if not 0 <= spec.seconds < timeline.duration:
            raise ValueError(
                f"{clock(spec.seconds)} is past the end of the session "
                f"({clock(timeline.duration)} long)"
            )
        return spec.seconds
    count = exercise_count(timeline)
    if not 1 <= spec.exercise <= count:
        raise ValueError(
            f"there is no exercise {spec.exercise}; the session has "
            + (f"exercises 1 to {count}" if count > 1 else f"{count} exercise")
        )
    return next(c.start for c in timeline.chapters if c.exercise == spec.exercise - 1)
