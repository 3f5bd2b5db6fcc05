"""What a library track is built from, reduced to one hash: rebuild when it changes.

A track's fingerprint is the sha256 of: the library format, the voicecoach version,
the build settings (voice overrides, track format), the tone assets (as loaded
samples), the phrase packs' source (so a rewording rebuilds), the programme file's
bytes, and the bytes of each library exercise file the programme `use:`s (by id, as
the loader finds it: ID.yaml, else ID.yml; a missing file counts too), and the other
files the track is made from (images, music, tone folder, recorded clips). So editing an
exercise rebuilds exactly the programmes that use it; editing anything else in the
library rebuilds nothing. The installed neural voices (which one a programme without
`voice:` gets) are part of the shared digest: installing or replacing one rebuilds.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
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
from voicecoach.speech.piper_engine import piper_available
from voicecoach.speech.piper_voices import installed_voices
from voicecoach.speech.recordings import AUDIO_SUFFIXES

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


def media_sha256(path: Path) -> str:
    """sha256 hex of a file's bytes, or of a folder's clips (name and bytes of each audio
    file directly inside, so a new, changed or removed take counts)."""
    if not path.is_dir():
        return file_sha256(path)
    try:
        clips = sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    except OSError:
        return UNREADABLE
    return _sha256_json({clip.name: file_sha256(clip) for clip in clips})


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


def neural_voices() -> list[object]:
    """What decides and shapes the default neural voice: piper-tts's version and each
    installed Piper voice's name, files, sizes and modification times (no model is read)."""
    if not piper_available():
        return []
    found: list[object] = [importlib.metadata.version("piper-tts")]
    for voice in installed_voices():
        for path in (voice.model, voice.config):
            with contextlib.suppress(OSError):
                stat = path.stat()
                found.append([voice.name, str(path), stat.st_size, stat.st_mtime_ns])
    return found


def settings_digest(settings: BuildSettings, tones: Mapping[str, Clip]) -> str:
    """sha256 hex of what every track of this build shares: format, version, settings,
    tones, phrase packs, the installed neural voices (unless `--engine` chooses for every
    programme), and the bytes of the `--music` file."""
    parts = [
        LIBRARY_FORMAT,
        __version__,
        asdict(settings),
        tones_sha256(tones),
        phrases_sha256(),
        neural_voices() if settings.engine is None else [],
    ]
    if settings.music is not None:
        parts.append(file_sha256(Path(settings.music)))
    return _sha256_json(parts)


def media_files(programme: Programme) -> tuple[str, ...]:
    """The files besides YAML a programme's track is made from: its `music:` file, the
    files of its `tones:` folder and its `recordings:` folder (absolute paths, sorted)."""
    sound = programme.sound
    paths = [sound.music] if sound.music is not None else []
    if sound.tone_folder is not None:
        with contextlib.suppress(AudioError):
            paths += tone_files(sound.tone_folder).values()
    if programme.recordings is not None:
        paths.append(programme.recordings)
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
        parts.append({path: media_sha256(Path(path)) for path in sorted(files)})
    return _sha256_json(parts)


def _sha256_json(data: object) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
