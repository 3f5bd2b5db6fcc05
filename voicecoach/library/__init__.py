"""Many programmes → many tracks, in parallel, skipping what is up to date, with an
index page and a playlist (`voicecoach library build`)."""

from voicecoach.library.builder import LibraryReport, build_library, default_workers
from voicecoach.library.fingerprint import BuildSettings
from voicecoach.library.manifest import TrackEntry, read_manifest
from voicecoach.library.sources import default_output, discover

__all__ = [
    "BuildSettings",
    "LibraryReport",
    "TrackEntry",
    "build_library",
    "default_output",
    "default_workers",
    "discover",
    "read_manifest",
]
