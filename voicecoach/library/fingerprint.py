"""What a library track is built from, reduced to one hash: rebuild when it changes.

A track's fingerprint is the sha256 of: the library format, the voicecoach version,
the build settings (voice overrides, track format), the tone assets (as loaded
samples), the phrase packs' source (so a rewording rebuilds), the programme file's
bytes, and the bytes of each library exercise file the programme `use:`s (by id, as
the loader finds it: ID.yaml, else ID.yml; a missing file counts too). So editing an
exercise rebuilds exactly the programmes that use it; editing anything else in the
library rebuilds nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from voicecoach import __version__, phrases
from voicecoach.audio.assets import tone_files
from voicecoach.errors import AudioError
from voicecoach.library.sources import PROGRAMME_SUFFIXES, TRACK_FORMAT
from voicecoach.pipeline import DEFAULT_LOUDNESS, VoiceOverride
from voicecoach.script import Programme
from voicecoach.speech.base import Clip

LIBRARY_FORMAT = "voicecoach.library/1"
"""Bump to rebuild every library track."""
UNREADABLE = "unreadable"
"""Stands for a file's hash when it cannot be read (never equal to a real hash)."""


@dataclass(frozen=True)
class BuildSettings:
    """Everything besides the source files that shapes every track of one library build."""

    engine: str | None = None
    """Speech engine for every programme (None: each programme's own)."""
    voice: str | None = None
    """Voice name for every programme (None: each programme's own)."""
    rate: int | None = None
    """Words per minute for every programme (None: each programme's own)."""
    format: str = TRACK_FORMAT
    """Track format."""
    bitrate: int | None = None
    """Bitrate in kbit/s (None: the format's default)."""
    loudness: float = DEFAULT_LOUDNESS
    """Integrated loudness of every track, LUFS."""
    music: str | None = None
    """Music under every programme (`--music`, an absolute path; None: each programme's own)."""
    author: str | None = None
    """Artist of tracks whose programme has no `author:` (e.g. the clinic's name)."""

    def override(self) -> VoiceOverride:
        """The voice override the pipeline applies to each programme."""
        return VoiceOverride(self.engine, self.voice, self.rate)


def file_sha256(path: Path) -> str:
    """sha256 hex of a file's bytes (UNREADABLE if it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return UNREADABLE


def snapshot_exercises(folder: Path) -> dict[str, str]:
    """{file name: sha256} of every exercise file in FOLDER (empty if there is none)."""
    if not folder.is_dir():
        return {}
    return {
        path.name: file_sha256(path)
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in PROGRAMME_SUFFIXES and path.is_file()
    }


def tones_sha256(tones: Mapping[str, Clip]) -> str:
    """sha256 hex of the tone assets as loaded (name, sample rate and samples of each)."""
    digest = hashlib.sha256()
    for name in sorted(tones):
        clip = tones[name]
        digest.update(f"{name}:{clip.sample_rate}:{len(clip)}:".encode())
        digest.update(clip.samples.tobytes())
    return digest.hexdigest()


def phrases_sha256() -> str:
    """sha256 hex of the phrase packs' source files (every language's wording and numbers)."""
    folder = Path(phrases.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(f"{path.name}:{file_sha256(path)}:".encode())
    return digest.hexdigest()


def settings_digest(settings: BuildSettings, tones: Mapping[str, Clip]) -> str:
    """sha256 hex of what every track of this build shares: format, version, settings,
    tones, phrase packs, and the bytes of the `--music` file."""
    parts = [LIBRARY_FORMAT, __version__, asdict(settings), tones_sha256(tones), phrases_sha256()]
    if settings.music is not None:
        parts.append(file_sha256(Path(settings.music)))
    return _sha256_json(parts)


def media_files(programme: Programme) -> tuple[str, ...]:
    """The files besides YAML a programme's track is made from: its `music:` file and
    the files of its `tones:` folder (absolute paths, sorted)."""
    sound = programme.sound
    paths = [sound.music] if sound.music is not None else []
    if sound.tone_folder is not None:
        with contextlib.suppress(AudioError):
            paths += tone_files(sound.tone_folder).values()
    return tuple(sorted({str(Path(path).absolute()) for path in paths}))


def exercise_hashes(uses: Iterable[str], snapshot: Mapping[str, str]) -> dict[str, list[str]]:
    """For each used exercise id, the hashes of ID.yaml and ID.yml ("" when absent)."""
    return {
        ex_id: [snapshot.get(f"{ex_id}{suffix}", "") for suffix in PROGRAMME_SUFFIXES]
        for ex_id in sorted(set(uses))
    }


def fingerprint(
    programme_sha: str,
    uses: Iterable[str],
    snapshot: Mapping[str, str],
    shared: str,
    files: Iterable[str] = (),
) -> str:
    """The fingerprint of one track: its programme, the exercises it uses, the shared
    digest, and the other files (paths) it is made from, as they are now: the images
    its exercises show, its music and tone files."""
    parts: list[object] = [shared, programme_sha, exercise_hashes(uses, snapshot)]
    if files:
        parts.append({path: file_sha256(Path(path)) for path in sorted(files)})
    return _sha256_json(parts)


def _sha256_json(data: object) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
