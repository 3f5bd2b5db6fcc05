"""Titles and chapters: ID3 (CHAP/CTOC) for MP3, an FFMETADATA file for the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import CHAP, CTOC, ID3, TALB, TIT2, TLEN, TPE1, CTOCFlags, ID3NoHeaderError
from mutagen.id3 import error as ID3Error

from voicecoach.errors import AudioError
from voicecoach.timeline.model import Chapter

TOC_ELEMENT_ID = "toc"
"""Element id of the top-level table of contents."""


@dataclass(frozen=True)
class TrackTags:
    """What players show about a track."""

    title: str
    """Track title (ID3 TIT2)."""
    album: str
    """Album (ID3 TALB)."""
    artist: str
    """Artist (ID3 TPE1)."""


def chapter_id(index: int) -> str:
    """Element id of the chapter at ``index``: chp0, chp1, ..."""
    return f"chp{index}"


def _ms(seconds: float) -> int:
    """Seconds as whole milliseconds."""
    return max(0, round(seconds * 1000))


def tag_mp3(path: Path, tags: TrackTags, chapters: Sequence[Chapter], duration: float) -> None:
    """Write ID3v2.3 title, album, artist, length and one CHAP per chapter plus an
    ordered top-level CTOC, replacing any ID3 tag ``path`` had."""
    try:
        id3 = ID3(path)
        id3.clear()
    except ID3NoHeaderError:
        id3 = ID3()
    except (OSError, ID3Error) as exc:
        raise AudioError(f"cannot read ID3 tag of {path}: {exc}") from exc
    id3.add(TIT2(encoding=3, text=[tags.title]))
    id3.add(TALB(encoding=3, text=[tags.album]))
    id3.add(TPE1(encoding=3, text=[tags.artist]))
    id3.add(TLEN(encoding=3, text=[str(_ms(duration))]))
    end_ms = _ms(duration)
    ids = [chapter_id(i) for i in range(len(chapters))]
    if chapters:
        id3.add(
            CTOC(
                element_id=TOC_ELEMENT_ID,
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text=[tags.title])],
            )
        )
    for element_id, chapter in zip(ids, chapters, strict=True):
        id3.add(
            CHAP(
                element_id=element_id,
                start_time=min(_ms(chapter.start), end_ms),
                end_time=min(_ms(chapter.end), end_ms),
                start_offset=0xFFFFFFFF,
                end_offset=0xFFFFFFFF,
                sub_frames=[TIT2(encoding=3, text=[chapter.title])],
            )
        )
    try:
        id3.save(path, v2_version=3)
    except (OSError, ID3Error) as exc:
        raise AudioError(f"cannot write ID3 tag to {path}: {exc}") from exc


def _escape(value: str) -> str:
    """Escape a value for an FFMETADATA file (``= ; # \\`` and newlines)."""
    for char in "\\=;#\n":
        value = value.replace(char, "\\" + char)
    return value


def ffmetadata_text(tags: TrackTags, chapters: Sequence[Chapter], duration: float) -> str:
    """An ffmpeg FFMETADATA1 document with the tags and chapters (times in ms)."""
    lines = [
        ";FFMETADATA1",
        f"title={_escape(tags.title)}",
        f"album={_escape(tags.album)}",
        f"artist={_escape(tags.artist)}",
    ]
    end_ms = _ms(duration)
    for chapter in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={min(_ms(chapter.start), end_ms)}",
            f"END={min(_ms(chapter.end), end_ms)}",
            f"title={_escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"
