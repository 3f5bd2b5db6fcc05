"""Titles and chapters: ID3 (CHAP/CTOC) for MP3, an FFMETADATA file for the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import (
    CHAP,
    CTOC,
    ID3,
    TALB,
    TIT2,
    TLEN,
    TPE1,
    TPE2,
    CTOCFlags,
    ID3NoHeaderError,
)
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
    """Artist (ID3 TPE1) and album artist (ID3 TPE2): who made the programme."""


def chapter_id(index: int) -> str:
    """Element id of the chapter at INDEX: chp0, chp1, ..."""
    return f"chp{index}"


def _ms(seconds: float) -> int:
    """Seconds as whole milliseconds."""
    return max(0, round(seconds * 1000))


def tag_mp3(path: Path, tags: TrackTags, chapters: Sequence[Chapter], duration: float) -> None:
    """Write ID3v2.3 title, album, artist, length and one CHAP per chapter plus an
    ordered top-level CTOC, replacing any ID3 tag PATH had."""
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
    id3.add(TPE2(encoding=3, text=[tags.artist]))
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
        _chapters_in_time_order(path)
    except (OSError, ID3Error) as exc:
        raise AudioError(f"cannot write ID3 tag to {path}: {exc}") from exc


def _chapters_in_time_order(path: Path) -> None:
    """Rewrite the CHAP frames of an ID3v2.3 tag in start-time order, in place.

    mutagen orders frames by size; players that ignore the CTOC (ffmpeg-based
    ones) list chapters in frame order. The tag keeps its size, so nothing moves.
    """
    with open(path, "r+b") as handle:
        header = handle.read(10)
        if header[:4] != b"ID3\x03" or header[5] & 0xC0:  # unsynchronised / extended
            return
        size = 0
        for byte in header[6:10]:
            size = (size << 7) | (byte & 0x7F)
        data = handle.read(size)
        frames: list[tuple[bytes, bytes]] = []
        pos = 0
        while pos + 10 <= len(data) and data[pos] != 0:
            length = 10 + int.from_bytes(data[pos + 4 : pos + 8], "big")
            frames.append((data[pos : pos + 4], data[pos : pos + length]))
            pos += length
        chapters = iter(sorted((f for i, f in frames if i == b"CHAP"), key=_chap_start))
        ordered = b"".join(next(chapters) if i == b"CHAP" else f for i, f in frames)
        handle.seek(10)
        handle.write(ordered)


def _chap_start(frame: bytes) -> int:
    """Start time (ms) of a raw CHAP frame."""
    body = frame[10:]
    end = body.index(b"\0")
    return int.from_bytes(body[end + 1 : end + 5], "big")


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
        f"album_artist={_escape(tags.artist)}",
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
