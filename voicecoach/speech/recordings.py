"""The clinician's own recorded voice: a folder of clips, one per line the programme says.

`DIR/phrases.csv` (columns `file,text`) names the file each line is recorded under,
e.g. `0007-rest-for-30-seconds.wav`. A clip `DIR/<that file's stem>.<any audio
suffix>` replaces the synthesised line: decoded with pydub, made mono, resampled to
44100 Hz and trimmed of silence, never time-stretched (the mixer matches its loudness
to the rest of the speech). Lines without a clip are spoken by the voice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from voicecoach.atomic import atomic_outputs
from voicecoach.errors import SpeechError
from voicecoach.speech.audiofile import AUDIO_SUFFIXES, read_clip
from voicecoach.speech.base import Clip

MANIFEST = "phrases.csv"
"""The manifest's file name inside the recordings folder."""
COLUMNS = ("file", "text")
RECORDING_FORMAT = "voicecoach.recording/1"
"""Changes when the way a recording becomes a clip changes (part of its key)."""
SLUG_WORDS = 8


@dataclass(frozen=True)
class ManifestRow:
    """One line to record: the file to record it under and what it says."""

    file: str
    """File name, e.g. "0007-rest-for-30-seconds.wav" (any audio suffix will do)."""
    text: str
    """The line exactly as the track says it."""

    @property
    def stem(self) -> str:
        """The file name without its suffix: what a clip's name must start with."""
        return Path(self.file).stem


def file_name(number: int, text: str) -> str:
    """A readable file name for a line: 0007-rest-for-30-seconds.wav."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:SLUG_WORDS]
    slug = "-".join(words) or "line"
    return f"{number:04d}-{slug}.wav"


def read_manifest(directory: Path) -> list[ManifestRow]:
    """The rows of DIR/phrases.csv ([] if there is none); SpeechError if it is malformed."""
    path = directory / MANIFEST
    try:
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise SpeechError(f"cannot read {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(content, newline=""))
    if reader.fieldnames is None:
        return []
    if [f.strip().lower() for f in reader.fieldnames[:2]] != list(COLUMNS):
        raise SpeechError(f"{path}:1: expected the columns file,text")
    rows = []
    for line, record in enumerate(reader, start=2):
        name, text = (record.get("file") or "").strip(), record.get("text") or ""
        if not name or not text.strip():
            raise SpeechError(f"{path}:{line}: a row needs both a file name and a text")
        if Path(name).name != name or name.startswith("."):
            raise SpeechError(f"{path}:{line}: {name!r} is not a plain file name")
        rows.append(ManifestRow(name, text))
    return rows


def update_manifest(directory: Path, texts: Iterable[str]) -> tuple[list[ManifestRow], int]:
    """Write DIR/phrases.csv: the rows already there, then a new row per new text.

    Returns all rows and how many were added. New rows are numbered after the highest
    number already used, so existing file names never change.
    """
    rows = read_manifest(directory)
    known = {row.text for row in rows}
    numbers = [int(m.group()) for row in rows if (m := re.match(r"\d+", row.file))]
    number = max(numbers, default=0)
    added = 0
    for text in dict.fromkeys(texts):
        if text in known:
            continue
        number += 1
        rows.append(ManifestRow(file_name(number, text), text))
        known.add(text)
        added += 1
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows((row.file, row.text) for row in rows)
    path = directory / MANIFEST
    with atomic_outputs([path]) as temps:
        temps[path].write_text(buffer.getvalue(), encoding="utf-8")
    return rows, added


class Recordings:
    """The clips in one recordings folder, by the text they say."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.rows = read_manifest(directory)
        self._stems = {row.text: row for row in self.rows}
        self._clips: dict[str, Clip] = {}
        self._keys: dict[tuple[str, int, int], str] = {}

    def path(self, text: str) -> Path | None:
        """The clip recorded for TEXT (the manifest's file first), or None."""
        row = self._stems.get(text)
        if row is None:
            return None
        exact = self.directory / row.file
        if exact.suffix.lower() in AUDIO_SUFFIXES and exact.is_file():
            return exact
        takes = sorted(
            p
            for p in self.directory.glob(f"{glob_escape(row.stem)}.*")
            if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()
        )
        return takes[0] if takes else None

    def key(self, text: str) -> str | None:
        """A content address of TEXT's recording (changes with every new take), or None."""
        path = self.path(text)
        if path is None:
            return None
        try:
            stat = path.stat()
        except OSError as exc:
            raise SpeechError(f"cannot read the recording {path}: {exc}") from None
        seen = (str(path), stat.st_size, stat.st_mtime_ns)
        if seen not in self._keys:
            digest = hashlib.sha256(RECORDING_FORMAT.encode())
            digest.update(_read(path))
            self._keys[seen] = digest.hexdigest()
        return self._keys[seen]

    def clip(self, text: str) -> Clip | None:
        """TEXT's recording as a clip, or None if it has none."""
        key = self.key(text)
        if key is None:
            return None
        clip = self._clips.get(key)
        if clip is None:
            path = self.path(text)
            assert path is not None
            clip = self._clips[key] = read_clip(path)
        return clip

    def missing(self, texts: Iterable[str]) -> list[str]:
        """The texts (distinct, in order) that have no recording."""
        return [t for t in dict.fromkeys(texts) if self.path(t) is None]


def glob_escape(stem: str) -> str:
    """STEM with glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", stem)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpeechError(f"cannot read the recording {path}: {exc}") from None
