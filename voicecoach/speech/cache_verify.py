"""`voicecoach cache verify` and `cache clear`: check every phrase-cache entry, or empty it.

Verify removes what a build would refuse or should not trust: anything at an entry's
name that is not a plain file, damaged or mislabelled entries, entries of an older cache
format, leftover temporaries, and clips whose length does not fit their rate unless two
syntheses agreed on them. With `resynthesize` each remaining entry is spoken again and
removed if the new clip does not agree with it (the deep check for a poisoned entry).
Only files under `<directory>/phrases/` (and, for clear, the clip levels stored beside
them in `levels/`) that look like cache files are ever deleted.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from voicecoach.atomic import TEMP_MARKER, sweep_stale_temps
from voicecoach.errors import VoiceCoachError
from voicecoach.script.model import Voice
from voicecoach.speech.base import Clip, SpeechEngine, quote_phrase, synthesize_checked
from voicecoach.speech.cache import CACHE_FORMAT, CHUNK_ID, decode_entry, read_entry
from voicecoach.speech.clip_check import agree, length_problem
from voicecoach.wavio import WavFormatError, parse_wav

_ENTRY = re.compile(r"^[0-9a-f]{64}\.wav$")
_LEVELS = re.compile(r"^[0-9a-f]{64}\.npy$")
_SHARD = re.compile(r"^[0-9a-f]{2}$")
_STORES = (("phrases", _ENTRY), ("levels", _LEVELS))
"""The cache's folders and the file names of theirs (clip levels live beside phrases)."""

EngineFor = Callable[[str], SpeechEngine | None]
"""The engine registered under a name (None if there is none here)."""


@dataclass(frozen=True)
class Removed:
    """One file verify deleted, and why."""

    path: Path
    """The file."""
    phrase: str | None
    """The phrase it held, if it could be read."""
    reason: str
    """Why it was removed, in words."""


@dataclass(frozen=True)
class VerifyReport:
    """What `verify_cache` found."""

    directory: Path
    """The cache folder."""
    checked: int
    """Entries looked at."""
    removed: tuple[Removed, ...]
    """Files deleted (entries and leftover temporaries)."""

    @property
    def kept(self) -> int:
        """Entries that passed."""
        return self.checked - sum(1 for r in self.removed if _ENTRY.match(r.path.name))


def entry_files(directory: Path, store: str = "phrases") -> Iterator[Path]:
    """Every name under DIRECTORY/STORE/<2 hex>/ that is one of its files (whatever it is)."""
    pattern = dict(_STORES)[store]
    for shard in _shards(directory, store):
        with contextlib.suppress(OSError):
            for path in sorted(shard.iterdir()):
                if pattern.match(path.name):
                    yield path


def verify_cache(
    directory: Path,
    engine_for: EngineFor,
    *,
    resynthesize: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Check every entry in DIRECTORY; delete the suspect ones (see the module doc)."""
    paths = list(entry_files(directory))
    removed: list[Removed] = []
    engines: dict[str, SpeechEngine | None] = {}
    try:
        for done, path in enumerate(paths, start=1):
            phrase, problem = _problem(path, engine_for, engines, resynthesize)
            if problem is not None and _remove(path):
                removed.append(Removed(path, phrase, problem))
            if progress is not None:
                progress(done, len(paths))
        for shard in {p.parent for p in paths} | set(_shards(directory)):
            for stale in _stale_temps(shard):
                removed.append(Removed(stale, None, "a temporary file a stopped build left"))
    finally:
        for engine in engines.values():
            with contextlib.suppress(Exception):
                getattr(engine, "close", lambda: None)()
    return VerifyReport(directory, len(paths), tuple(removed))


def clear_cache(directory: Path) -> tuple[int, int]:
    """Delete every phrase entry and stored clip level (and leftover temporaries) in
    DIRECTORY; the number of phrase entries and the bytes removed. Empty shard folders
    go too; nothing that does not look like the cache's is touched."""
    count = size = 0
    for store, _ in _STORES:
        for path in entry_files(directory, store):
            with contextlib.suppress(OSError):
                bytes_ = path.lstat().st_size
                if _remove(path):
                    count += store == "phrases"
                    size += bytes_
        for shard in _shards(directory, store):
            with contextlib.suppress(OSError):
                for path in shard.iterdir():
                    if path.name.startswith(".") and TEMP_MARKER in path.name:
                        path.unlink()
            with contextlib.suppress(OSError):
                shard.rmdir()  # only if empty
        with contextlib.suppress(OSError):
            (directory / store).rmdir()
    return count, size


def _problem(
    path: Path,
    engine_for: EngineFor,
    engines: dict[str, SpeechEngine | None],
    resynthesize: bool,
) -> tuple[str | None, str | None]:
    """The phrase an entry holds (if readable) and why it must go (None: it is good)."""
    try:
        raw = read_entry(path)
    except FileNotFoundError:
        return None, None  # removed meanwhile
    except OSError as exc:
        return None, str(exc.strerror)
    try:
        record = json.loads(parse_wav(raw).chunks[CHUNK_ID].decode("utf-8"))
    except (WavFormatError, KeyError, ValueError):
        return None, "damaged (not a cache entry any more)"
    if not isinstance(record, dict):
        return None, "damaged (no integrity record)"
    text = record.get("text") if isinstance(record.get("text"), str) else None
    if record.get("format") != CACHE_FORMAT:
        return text, f"made by an older voicecoach ({record.get('format')})"
    clip = decode_entry(raw, path.stem)
    if clip is None or text is None:
        return text, "damaged or stored under another phrase's name"
    voice = _voice(record.get("voice"))
    if voice is None:
        return text, "damaged (no voice in its record)"
    name = str(record.get("engine"))
    if name not in engines:
        engines[name] = engine_for(name)
    engine = engines[name]
    if engine is None:
        return text, None  # an engine not installed here: nothing more to check
    if int(record.get("agreeing", 1)) < 2:
        problem = length_problem(text, voice, clip, engine.clip_check)
        if problem is not None:
            return text, f"suspect: {problem}"
    if resynthesize:
        return text, _respoken_problem(engine, text, voice, clip)
    return text, None


def _respoken_problem(engine: SpeechEngine, text: str, voice: Voice, stored: Clip) -> str | None:
    try:
        fresh = synthesize_checked(engine, text, voice)
    except VoiceCoachError as err:
        raise VoiceCoachError(f"cannot check {quote_phrase(text)}: {err}") from err
    if agree(stored, fresh, engine.clip_check.repeat_tolerance):
        return None
    return f"spoken again it lasts {fresh.duration:.3f} s, not {stored.duration:.3f} s"


def _voice(value: object) -> Voice | None:
    """The Voice an entry's record names, or None if it is malformed."""
    if not isinstance(value, dict):
        return None
    engine, name, rate = value.get("engine"), value.get("name"), value.get("rate")
    options = value.get("options", [])
    if not isinstance(engine, str) or not (name is None or isinstance(name, str)):
        return None
    if not (rate is None or (isinstance(rate, int) and not isinstance(rate, bool))):
        return None
    pairs = [tuple(item) for item in options] if isinstance(options, list) else None
    if pairs is None or not all(len(p) == 2 and isinstance(p[0], str) for p in pairs):
        return None
    return Voice(engine=engine, name=name, rate=rate, options=tuple(sorted(pairs)))


def _remove(path: Path) -> bool:
    """Delete the name at PATH (a file, link, FIFO...; a folder only if empty)."""
    try:
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
    except OSError:
        return False
    return True


def _shards(directory: Path, store: str = "phrases") -> list[Path]:
    """The <2 hex> folders of a store (real folders only, never links)."""
    with contextlib.suppress(OSError):
        root = directory / store
        return sorted(
            p for p in root.iterdir() if _SHARD.match(p.name) and p.is_dir() and not p.is_symlink()
        )
    return []


def _stale_temps(shard: Path) -> list[Path]:
    """Leftover temporaries of entries in SHARD that no running build is writing."""
    finals = set()
    with contextlib.suppress(OSError):
        for path in shard.iterdir():
            name = path.name
            if name.startswith(".") and TEMP_MARKER in name:
                finals.add(shard / name[1:].split(TEMP_MARKER)[0])
    removed = []
    for final in sorted(finals):
        removed += sweep_stale_temps(final)
    return removed
