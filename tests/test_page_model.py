"""The player page's segments: for any programme they tile the track and agree with
every event's exercise, side, set and rep."""

from __future__ import annotations

from bisect import bisect_right

from core_helpers import expected_sets
from hypothesis import given, settings
from hypothesis_helpers import examples
from test_compiler_properties import SETTINGS, measures, programmes

from voicecoach.page.model import segments
from voicecoach.script.model import HoldDose, RepsDose, TimedDose
from voicecoach.timeline import compile_programme

FAST = settings(SETTINGS, max_examples=examples(50))
SET_KINDS = {"rep", "hold", "relax", "work"}


def at(found, t):
    """The segment showing at time T (the last one starting at or before T)."""
    return found[bisect_right([s.start for s in found], t) - 1]


@FAST
@given(programme=programmes(), measure=measures())
def test_segments_tile_the_track_and_match_the_events(programme, measure):
    timeline = compile_programme(programme, measure)
    found = segments(programme, timeline)
    assert found[0].start == 0.0
    assert abs(found[-1].end - timeline.duration) < 1e-9
    for a, b in zip(found, found[1:], strict=False):
        assert a.end == b.start and a.end > a.start
    for event in timeline.events:
        shown = at(found, event.start)
        if event.exercise is None:
            assert shown.kind in ("intro", "outro")
            continue
        assert shown.exercise == event.exercise
        ends_a_hold = event.tone == "down" and isinstance(
            programme.exercises[event.exercise].dose, HoldDose
        )  # with no relax, the next hold starts right there
        if event.rep is not None and event.kind == "tone" and not ends_a_hold:
            per_rep = programme.exercises[event.exercise].alternate_reps  # both sides a set
            side = None if per_rep else event.side
            assert (shown.side, shown.set, shown.rep) == (side, event.set, event.rep)
        if event.kind == "tone" and event.tone == "go":
            assert shown.kind in SET_KINDS and shown.rep in (None, 1)


@FAST
@given(programme=programmes(), measure=measures())
def test_every_set_and_rep_is_shown_in_running_order(programme, measure):
    timeline = compile_programme(programme, measure)
    found = segments(programme, timeline)
    order = []
    for s in found:
        if s.kind in SET_KINDS and (s.exercise, s.side, s.set) not in order:
            order.append((s.exercise, s.side, s.set))
    assert order == [(p.exercise, p.side, p.number) for p in expected_sets(programme)]
    for exercise, side, number in order:
        dose = programme.exercises[exercise].dose
        inside = [s for s in found if (s.exercise, s.side, s.set) == (exercise, side, number)]
        working = [s for s in inside if s.kind in SET_KINDS]
        if isinstance(dose, RepsDose):
            assert [s.rep for s in working] == list(range(1, dose.reps + 1))
        elif isinstance(dose, HoldDose):
            holds = [s for s in working if s.kind == "hold"]
            assert [s.rep for s in holds] == list(range(1, dose.reps + 1))
            assert all(abs(s.end - s.start - dose.hold) < 1e-6 for s in holds)
        else:
            assert isinstance(dose, TimedDose)
            (work,) = working
            assert abs(work.end - work.start - dose.work) < 1e-6
        for s in inside:  # countdowns count to the end of their own stretch or later
            assert s.until is None or s.until >= s.end - 1e-9
