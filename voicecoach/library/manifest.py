"""OUT/manifest.json: what the library build wrote, from what, so rebuilds can skip it.

    {"format": "voicecoach.library-manifest/1", "generator": "voicecoach 0.1.0",
     "tracks": {"<slug>": {"source": "programmes/<file>", "title": ..., "fingerprint": ...,
                "uses": [exercise ids], "voice": {...}, "files": [track, vtt, timeline],
                "duration": seconds, "chapters": [{"title", "start", "end", "exercise"}],
                "built": ISO}}}

A missing or unreadable manifest is an empty one (everything is rebuilt, nothing is
removed). Entries that don't have this shape are dropped; `files` are only ever
plain names inside OUT, so a tampered manifest cannot make a build delete elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicecoach import __version__
from voicecoach.library.sources import is_plain_name
from voicecoach.timeline.model import Chapter

MANIFEST_NAME = "manifest.json"
"""The manifest's file name in OUT."""
MANIFEST_FORMAT = "voicecoach.library-manifest/1"
"""The manifest's format tag."""


@dataclass(frozen=True)
class TrackEntry:
    """One built track in the manifest."""

    slug: str
    """Track name (the key in the manifest)."""
    source: str
    """Programme file relative to SRC, e.g. "programmes/hips.yaml"."""
    title: str
    """The programme's title."""
    fingerprint: str
    """Input fingerprint the track was built from (see fingerprint.py)."""
    uses: tuple[str, ...]
    """Library exercise ids the programme uses."""
    files: tuple[str, ...]
    """Files written in OUT: track, captions, timeline (plain names)."""
    duration: float
    """Track length in seconds."""
    chapters: tuple[Chapter, ...] = ()
    """The track's chapters."""
    media: tuple[str, ...] = ()
    """Music and tone files the track is made from (absolute paths)."""
    voice: dict[str, Any] = field(default_factory=dict, compare=False)
    """The voice it was spoken with: {"engine", "name", "rate"}."""
    built: str = ""
    """When it was built (ISO 8601, UTC)."""
    images: tuple[str, ...] = ()
    """The image files (absolute paths) its exercises show, copied beside its page."""
    language: str = "en"
    """The programme's language (the index page speaks the library's main one)."""

    @property
    def page(self) -> str:
        """The player page's file name."""
        return self.files[3] if len(self.files) > 3 else self.files[0]

    @property
    def track(self) -> str:
        """The audio file's name."""
        return self.files[0]

    def to_json(self) -> dict[str, Any]:
        """The entry as manifest JSON (without its slug, which is the key)."""
        return {
            "source": self.source,
            "title": self.title,
            "fingerprint": self.fingerprint,
            "uses": list(self.uses),
            "media": list(self.media),
            "voice": self.voice,
            "files": list(self.files),
            "duration": round(self.duration, 6),
            "chapters": [c.to_json() for c in self.chapters],
            "built": self.built,
            "images": list(self.images),
            "language": self.language,
        }


def manifest_text(entries: dict[str, TrackEntry]) -> str:
    """The manifest JSON for ENTRIES (sorted by slug, trailing newline)."""
    data = {
        "format": MANIFEST_FORMAT,
        "generator": f"voicecoach {__version__}",
        "tracks": {slug: entries[slug].to_json() for slug in sorted(entries)},
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def read_manifest(out: Path) -> dict[str, TrackEntry]:
    """The entries of OUT/manifest.json by slug ({} if missing, unreadable or foreign)."""
    try:
        data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return {}
    tracks = data.get("tracks")
    if not isinstance(tracks, dict):
        return {}
    entries = {}
    for slug, raw in tracks.items():
        entry = _entry(slug, raw)
        if entry is not None:
            entries[slug] = entry
    return entries


def _entry(slug: object, raw: object) -> TrackEntry | None:
    """A TrackEntry from manifest JSON, or None if anything is off."""
    if not is_plain_name(slug) or not isinstance(raw, dict):
        return None
    try:
        files = tuple(raw["files"])
        uses = tuple(raw["uses"])
        chapters = tuple(Chapter.from_json(c) for c in raw.get("chapters", ()))
        entry = TrackEntry(
            slug=str(slug),
            source=str(raw["source"]),
            title=str(raw["title"]),
            fingerprint=str(raw["fingerprint"]),
            uses=tuple(str(u) for u in uses),
            media=tuple(str(m) for m in raw.get("media", ())),
            files=files,
            duration=float(raw["duration"]),
            chapters=chapters,
            voice=dict(raw.get("voice") or {}),
            built=str(raw.get("built", "")),
            images=tuple(str(path) for path in raw.get("images", ())),
            language=str(raw.get("language", "en")),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if not files or not all(is_plain_name(name) for name in files):
        return None
    return entry
