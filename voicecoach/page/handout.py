"""NAME.handout.html: the programme on paper, for the clinic to hand over with the track."""

from __future__ import annotations

from collections.abc import Mapping

from voicecoach.script.model import Programme
from voicecoach.timeline.model import Timeline


def handout_html(
    programme: Programme,
    timeline: Timeline,
    *,
    images: Mapping[int, str] | None = None,
    player: str | None = None,
) -> str:
    """The printable handout (placeholder)."""
    return "<!DOCTYPE html><title>x</title>"
