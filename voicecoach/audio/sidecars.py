"""The files written beside a track: WebVTT captions and the timeline JSON."""

from __future__ import annotations

import json
from typing import Any

from voicecoach.timeline.model import Timeline
from voicecoach.wavio import SAMPLE_RATE

TIMELINE_FORMAT = "voicecoach.timeline/1"
"""The `format` of the timeline JSON; changes when its meaning does."""


def vtt_timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` for a time in seconds."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def _cue_text(text: str) -> str:
    """Spoken text as a single-line cue payload (WebVTT escapes, no blank lines)."""
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(timeline: Timeline) -> str:
    """A WebVTT document with one numbered cue per speech event."""
    parts = ["WEBVTT", ""]
    for number, event in enumerate(timeline.speech(), start=1):
        parts += [
            str(number),
            f"{vtt_timestamp(event.start)} --> {vtt_timestamp(event.end)}",
            _cue_text(event.text or ""),
            "",
        ]
    return "\n".join(parts)


def timeline_document(timeline: Timeline) -> dict[str, Any]:
    """The timeline JSON document (docs/DESIGN.md): the timeline and the rate it renders at."""
    document = {
        "format": TIMELINE_FORMAT,
        "title": timeline.title,
        "duration": round(timeline.duration, 6),
        "sample_rate": SAMPLE_RATE,
        "chapters": [c.to_json() for c in timeline.chapters],
        "events": [e.to_json() for e in timeline.events],
    }
    if timeline.marks:  # tones: none
        document["marks"] = [m.to_json() for m in timeline.marks]
    return document


def timeline_json_text(timeline: Timeline) -> str:
    """The ``NAME.timeline.json`` sidecar and `plan --json`: stable text, trailing newline."""
    return json.dumps(timeline_document(timeline), ensure_ascii=False, indent=1) + "\n"
