"""Accumulates events in time order and keeps speech from overlapping."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from voicecoach.timeline.model import Event

Measure = Callable[[str], float]
"""Seconds a phrase takes to say (from the speech engine, or a fake in tests)."""

SPEECH_GAP = 0.25
"""Least silence between two speech events."""


@dataclass(frozen=True)
class Context:
    """Where in the session an event belongs."""

    exercise: int | None = None
    """0-based exercise index."""
    side: str | None = None
    """Side being worked."""
    set: int | None = None
    """1-based set number on that side."""
    rep: int | None = None
    """1-based rep number."""

    def with_rep(self, rep: int | None) -> Context:
        """The same context for rep REP."""
        return Context(self.exercise, self.side, self.set, rep)


class TimelineBuilder:
    """Places speech and tones; speech must be placed in time order.

    VOICED (`tones: none`): no tone sounds; each tone placed becomes a silent mark.
    """

    def __init__(
        self, measure: Measure, tone_lengths: Mapping[str, float], *, voiced: bool = False
    ) -> None:
        self._measure = measure
        self._lengths: dict[str, float] = {}
        self.tone_lengths = tone_lengths
        self.voiced = voiced
        self.events: list[Event] = []
        self.marks: list[Event] = []
        """Where tones would sound (voiced only)."""
        self.speech_free_at = 0.0
        """Earliest time the next phrase may start."""

    def length(self, text: str) -> float:
        """Seconds TEXT takes to say (measured once)."""
        if text not in self._lengths:
            seconds = float(self._measure(text))
            if not seconds > 0:
                raise ValueError(f"phrase duration must be positive: {text!r} -> {seconds}")
            self._lengths[text] = seconds
        return self._lengths[text]

    def say(self, text: str, at: float, ctx: Context = Context()) -> float:
        """Say TEXT at AT (not before the previous phrase ends). Returns its end."""
        start = max(at, self.speech_free_at)
        end = start + self.length(text)
        self.events.append(Event("speech", start, end, text=text, **ctx.__dict__))
        self.speech_free_at = end + SPEECH_GAP
        return end

    def say_all(self, texts: Sequence[str], at: float, ctx: Context = Context()) -> float:
        """Say TEXTS one after another from AT. Returns the end of the last."""
        end = at
        for text in texts:
            end = self.say(text, max(at, end), ctx)
        return end

    def fits(self, text: str, at: float, deadline: float) -> bool:
        """True if TEXT can start at AT and end by DEADLINE without overlapping speech."""
        return at >= self.speech_free_at - 1e-9 and at + self.length(text) <= deadline + 1e-9

    def try_say(
        self, candidates: Sequence[str], at: float, deadline: float, ctx: Context = Context()
    ) -> str | None:
        """Say the first of CANDIDATES that fits between AT and DEADLINE; None if none."""
        for text in candidates:
            if self.fits(text, at, deadline):
                self.say(text, at, ctx)
                return text
        return None

    def tone(self, name: str, at: float, ctx: Context = Context()) -> None:
        """Play tone NAME at AT (voiced: mark the moment, silently)."""
        if self.voiced:
            self.marks.append(Event("mark", at, at, tone=name, **ctx.__dict__))
            return
        end = at + self.tone_lengths[name]
        self.events.append(Event("tone", at, end, tone=name, **ctx.__dict__))

    def sequence_length(self, texts: Sequence[str]) -> float:
        """Seconds to say TEXTS back to back with the usual gaps."""
        if not texts:
            return 0.0
        return sum(self.length(t) for t in texts) + SPEECH_GAP * (len(texts) - 1)

    def snapshot(self) -> tuple[int, int, float]:
        """A point to go back to with restore() (to lay something out again)."""
        return len(self.events), len(self.marks), self.speech_free_at

    def restore(self, point: tuple[int, int, float]) -> None:
        """Forget every event and mark placed since snapshot() gave POINT."""
        count, marks, self.speech_free_at = point
        del self.events[count:]
        del self.marks[marks:]

    def sorted_events(self) -> tuple[Event, ...]:
        """All events by start time (speech before tones at equal times)."""
        return tuple(sorted(self.events, key=lambda e: (e.start, e.kind != "speech")))

    def sorted_marks(self) -> tuple[Event, ...]:
        """All marks by start time."""
        return tuple(sorted(self.marks, key=lambda e: e.start))
