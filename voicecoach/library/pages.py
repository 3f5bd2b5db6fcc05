"""OUT/index.html and OUT/library.m3u8: the library's tracks for people and players.

The page is self-contained (inline CSS, no scripts, no external assets) and escapes
every text that comes from user files. Chapter times link to the track at that time
(a media fragment, `NAME.mp3#t=SECONDS`), so they work without JavaScript.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import quote

from voicecoach.library.manifest import TrackEntry

INDEX_NAME = "index.html"
"""The index page's file name in OUT."""
PLAYLIST_NAME = "library.m3u8"
"""The playlist's file name in OUT."""

_CSS = """
:root { color-scheme: light dark; --accent: #2f7d6d; --muted: #6b7280; --line: #d9dee3; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
header, main { max-width: 46rem; margin: 0 auto; padding: 1.25rem 1rem; }
header { border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 1.6rem; }
header p, .meta { margin: .25rem 0 0; color: var(--muted); }
article { padding: 1.25rem 0; border-bottom: 1px solid var(--line); }
h2 { margin: 0; font-size: 1.25rem; }
audio { display: block; width: 100%; margin: .75rem 0; }
ol { margin: .5rem 0; padding: 0; list-style: none; }
li { display: flex; gap: .75rem; padding: .15rem 0; }
li a { min-width: 4.5rem; font-variant-numeric: tabular-nums; }
a { color: var(--accent); }
.files { margin: .5rem 0 0; font-size: .9rem; }
.files a { margin-right: 1rem; }
.empty { color: var(--muted); }
""".strip()


def clock(seconds: float) -> str:
    """M:SS (or H:MM:SS) for a length or a start time (whole seconds, rounded down)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def index_html(library_name: str, entries: Sequence[TrackEntry]) -> str:
    """The index page listing ENTRIES in order."""
    e = html.escape
    total = sum(entry.duration for entry in entries)
    count = f"{len(entries)} programme{'s' if len(entries) != 1 else ''}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="voicecoach">',
        f"<title>{e(library_name)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{e(library_name)}</h1>",
        f"<p>{count}, {clock(total)} in all · "
        f'<a href="{PLAYLIST_NAME}" type="audio/x-mpegurl">playlist (m3u8)</a></p>',
        "</header>",
        "<main>",
    ]
    if not entries:
        parts.append('<p class="empty">No programmes yet.</p>')
    for entry in entries:
        parts.extend(_article(entry))
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _article(entry: TrackEntry) -> list[str]:
    """One programme's section: title, length, player, chapters, files."""
    e = html.escape
    track, captions, timeline = (quote(name) for name in entry.files[:3])
    chapters = len(entry.chapters)
    lines = [
        f'<article id="{e(entry.slug)}">',
        f"<h2>{e(entry.title)}</h2>",
        f'<p class="meta">{clock(entry.duration)} · {chapters} chapter'
        f"{'s' if chapters != 1 else ''} · {e(entry.source)}</p>",
        f'<audio controls preload="none" src="{track}">'
        f'<a href="{track}">Download the track</a></audio>',
        '<ol class="chapters">',
    ]
    for chapter in entry.chapters:
        lines.append(
            f'<li><a href="{track}#t={chapter.start:.2f}">{clock(chapter.start)}</a>'
            f"<span>{e(chapter.title)}</span></li>"
        )
    lines += [
        "</ol>",
        '<p class="files">'
        f'<a href="{track}" download>{e(entry.files[0])}</a>'
        f'<a href="{captions}">captions (.vtt)</a>'
        f'<a href="{timeline}">timeline (.json)</a></p>',
        "</article>",
    ]
    return lines


def playlist_m3u8(library_name: str, entries: Sequence[TrackEntry]) -> str:
    """An extended M3U playlist of ENTRIES' tracks (UTF-8, relative file names)."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(library_name)}"]
    for entry in entries:
        lines.append(f"#EXTINF:{round(entry.duration)},{_one_line(entry.title)}")
        lines.append(entry.track)
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """TEXT with control characters (newlines too) turned into single spaces."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text).strip()
