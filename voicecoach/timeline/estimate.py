"""A quick lower bound of a session's length, so absurd doses fail before any synthesis.

The compiler knows the exact length only once every phrase is measured; this bound
counts just the work, the rests and the count-ins, so it never exceeds the real length.
`pipeline.load` (and so `validate`) and `compile_programme` both check it.
"""

from __future__ import annotations

from collections.abc import Iterable

from voicecoach.errors import LimitError
from voicecoach.script import limits
from voicecoach.script.model import Exercise, HoldDose, RepsDose
from voicecoach.script.values import format_seconds


def set_seconds(exercise: Exercise) -> float:
    """Seconds of work in one set (first rep's start to last rep's end)."""
    dose = exercise.dose
    if isinstance(dose, RepsDose):
        return (exercise.movements - 1) * dose.tempo.period + dose.tempo.active
    if isinstance(dose, HoldDose):
        return (dose.reps - 1) * dose.period + dose.active
    return dose.work


def minimum_seconds(exercise: Exercise, *, last: bool = True) -> float:
    """The least time the exercise can take, whatever is said in it.

    The first set has its count-in; between sets the count-in sits inside the rest, so
    each gap lasts at least the longer of the two. An exercise that is not the LAST
    is followed by its transition.
    """
    blocks = exercise.sets * (1 if exercise.alternate_reps else max(1, len(exercise.sides)))
    pause = min(exercise.rest, exercise.side_rest) if len(exercise.sides) > 1 else exercise.rest
    gap = max(pause, exercise.countdown)
    total = blocks * set_seconds(exercise) + exercise.countdown + (blocks - 1) * gap
    return total + (0.0 if last else exercise.transition)


def check_session_length(exercises: Iterable[Exercise]) -> None:
    """LimitError at the exercise that takes the session past the length limit."""
    total = 0.0
    exercises = tuple(exercises)
    for index, exercise in enumerate(exercises):
        total += minimum_seconds(exercise, last=index == len(exercises) - 1)
        if total > limits.MAX_SESSION_SECONDS:
            raise LimitError(
                f"the session would last at least {format_seconds(total)} by the end of "
                f"'{exercise.name}'; the limit is {format_seconds(limits.MAX_SESSION_SECONDS)}",
                exercise.source,
            )
