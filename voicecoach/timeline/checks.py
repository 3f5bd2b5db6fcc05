"""The timing rules every compiled timeline must keep (checked after each compile)."""

from __future__ import annotations

from voicecoach.timeline.model import Timeline

EPSILON = 1e-6


class TimelineRuleBroken(AssertionError):
    """A compiled timeline breaks one of docs/DESIGN.md's timing rules (a bug in the compiler)."""


def speech_overlaps(timeline: Timeline) -> list[tuple[str, str]]:
    """Pairs of phrases that overlap in time (rule 1: must be empty)."""
    speech = sorted(timeline.speech(), key=lambda e: e.start)
    return [
        (a.text or "", b.text or "")
        for a, b in zip(speech, speech[1:], strict=False)
        if b.start < a.end - EPSILON
    ]


def chapter_problems(timeline: Timeline) -> list[str]:
    """Ways the chapters fail to tile the track (rule 4: must be empty)."""
    problems = []
    chapters = timeline.chapters
    if not chapters:
        return ["no chapters"]
    if abs(chapters[0].start) > EPSILON:
        problems.append(f"first chapter starts at {chapters[0].start}, not 0")
    if abs(chapters[-1].end - timeline.duration) > EPSILON:
        problems.append(f"last chapter ends at {chapters[-1].end}, not {timeline.duration}")
    for a, b in zip(chapters, chapters[1:], strict=False):
        if abs(a.end - b.start) > EPSILON:
            problems.append(f"gap or overlap between {a.title!r} and {b.title!r}")
    for c in chapters:
        if c.end < c.start - EPSILON:
            problems.append(f"chapter {c.title!r} ends before it starts")
    held = [c.exercise for c in chapters if c.exercise is not None]
    if held != list(range(len(held))):
        problems.append(f"chapters hold the exercises {held}, not each once in order")
    return problems


def check_timeline(timeline: Timeline) -> None:
    """Raise TimelineRuleBroken if speech overlaps, chapters don't tile or events spill."""
    overlaps = speech_overlaps(timeline)
    if overlaps:
        raise TimelineRuleBroken(f"speech overlaps: {overlaps[0]}")
    problems = chapter_problems(timeline)
    if problems:
        raise TimelineRuleBroken("; ".join(problems))
    chapter_of = {c.exercise: c for c in timeline.chapters if c.exercise is not None}
    for event in timeline.events:
        if event.start < -EPSILON or event.end > timeline.duration + EPSILON:
            raise TimelineRuleBroken(f"event outside the track: {event}")
        chapter = chapter_of.get(event.exercise)
        if event.exercise is not None and (
            chapter is None
            or event.start < chapter.start - EPSILON
            or event.end > chapter.end + EPSILON
        ):
            raise TimelineRuleBroken(f"event outside its exercise's chapter: {event}")
    starts = [e.start for e in timeline.events]
    if starts != sorted(starts):
        raise TimelineRuleBroken("events are not in time order")
