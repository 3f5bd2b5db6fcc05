"""OUT/index.html and OUT/library.m3u8: the library's tracks for people and players.

The index is self-contained (inline CSS and a small inline script, no external assets)
and escapes every text that comes from user files; its wording comes from the phrase
pack of the library's main language. Each programme gets a player, a link to its own
player page and its chapters: a chapter link seeks the index's player for that
programme (with the script), or opens the player page at that time (without it,
`NAME.html#t=SECONDS`).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import quote

from voicecoach.library.manifest import TrackEntry
from voicecoach.phrases import LANGUAGES, PhraseBook
from voicecoach.timeline.clock import clock

INDEX_NAME = "index.html"
"""The index page's file name in OUT."""
PLAYLIST_NAME = "library.m3u8"
"""The playlist's file name in OUT."""

_CSS = """
:root {
  color-scheme: light dark;
  --bg: #f4f1ea; --surface: #fff; --surface-2: #ebe6dc; --text: #17201d; --muted: #56605c;
  --accent: #0b6b58; --accent-text: #fff; --line: #d9d3c7;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #101614; --surface: #18211e; --surface-2: #222d29; --text: #eef3f1;
    --muted: #a7b3ae; --accent: #5ed3b8; --accent-text: #06231c; --line: #2c3834;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 0; }
h1 { margin: 0; font-size: 2rem; line-height: 1.15; }
header p { margin: .35rem 0 0; color: var(--muted); }
main { display: grid; gap: 1rem; padding-bottom: 2.5rem; }
article { background: var(--surface); border: 1px solid var(--line); border-radius: 1rem;
  padding: 1.1rem 1.25rem; }
h2 { margin: 0; font-size: 1.35rem; line-height: 1.25; }
h2 a { color: inherit; text-decoration: none; }
h2 a:hover { text-decoration: underline; }
.meta { margin: .2rem 0 0; color: var(--muted); font-variant-numeric: tabular-nums; }
.open { display: inline-block; margin-top: .75rem; padding: .5rem 1.2rem; border-radius: 999px;
  background: var(--accent); color: var(--accent-text); font-weight: 700; text-decoration: none; }
audio { display: block; width: 100%; margin: .85rem 0 .25rem; }
h3 { margin: .75rem 0 .25rem; font-size: .8rem; letter-spacing: .06em; text-transform: uppercase;
  color: var(--muted); }
ol { margin: 0; padding: 0; list-style: none; }
li a { display: flex; gap: .9rem; padding: .45rem .5rem; margin: 0 -.5rem; border-radius: .5rem;
  color: var(--text); text-decoration: none; }
li a:hover, li a:focus-visible { background: var(--surface-2); }
li a { -webkit-tap-highlight-color: transparent; }
li a[aria-current="true"] { background: var(--surface-2); font-weight: 700; }
.at { min-width: 3.5rem; color: var(--accent); font-variant-numeric: tabular-nums;
  font-weight: 600; }
.files { display: flex; flex-wrap: wrap; gap: 1.25rem; margin: .75rem 0 0; font-size: .95rem; }
a { color: var(--accent); }
a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.empty { color: var(--muted); }
""".strip()

_SCRIPT = """
"use strict";
document.querySelectorAll("a[data-start]").forEach((link) => {
  link.addEventListener("click", (event) => {
    const audio = document.getElementById(link.dataset.player);
    if (!audio) return;
    event.preventDefault();
    audio.currentTime = parseFloat(link.dataset.start);
    audio.play().catch(() => {});
  });
});
document.querySelectorAll("audio").forEach((audio) => {
  const links = Array.from(document.querySelectorAll(`a[data-player="${audio.id}"]`));
  const mark = () => {
    let current = null;
    for (const link of links) {
      if (parseFloat(link.dataset.start) <= audio.currentTime + 1e-3) current = link;
    }
    links.forEach((link) => link.setAttribute("aria-current", String(link === current)));
  };
  audio.addEventListener("timeupdate", mark);
  audio.addEventListener("seeked", mark);
  audio.addEventListener("play", () => {
    document.querySelectorAll("audio").forEach((other) => { if (other !== audio) other.pause(); });
  });
});
""".strip()


def library_book(entries: Sequence[TrackEntry]) -> PhraseBook:
    """The phrase book of the library's most common programme language (English if none)."""
    counts = Counter(entry.language for entry in entries if entry.language in LANGUAGES)
    language = max(sorted(counts), key=counts.__getitem__) if counts else "en"
    return PhraseBook.for_language(language)


def library_title(entries: Sequence[TrackEntry]) -> str:
    """The index's title when none is given: "Exercise programmes" in its language."""
    return library_book(entries).say("index_title")


def index_html(library_name: str, entries: Sequence[TrackEntry]) -> str:
    """The index page listing ENTRIES in order."""
    e = html.escape
    book = library_book(entries)
    total = sum(entry.duration for entry in entries)
    count = book.say("index_programmes", count=len(entries), n=len(entries))
    in_all = book.say("index_total", time=clock(total))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(book.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        '<meta name="generator" content="voicecoach">',
        f"<title>{e(library_name)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{e(library_name)}</h1>",
        f"<p>{e(count)} · {e(in_all)} · "
        f'<a href="{PLAYLIST_NAME}" type="audio/x-mpegurl">{e(book.say("index_playlist"))}</a>'
        "</p>",
        "</header>",
        "<main>",
    ]
    if not entries:
        parts.append(f'<p class="empty">{e(book.say("index_empty"))}</p>')
    for entry in entries:
        parts.extend(_article(entry, book))
    parts += ["</main>", f"<script>\n{_SCRIPT}\n</script>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _article(entry: TrackEntry, book: PhraseBook) -> list[str]:
    """One programme's section: title, length, player, chapters, its pages."""
    e = html.escape
    track = quote(entry.track)
    page = quote(entry.page)
    player = f"player-{entry.slug}"
    has_page = entry.page != entry.track
    handout = quote(entry.files[4]) if len(entry.files) > 4 else None
    heading = e(entry.title)
    minutes = max(1, round(entry.duration / 60))
    if has_page:
        heading = f'<a href="{page}">{heading}</a>'
    lines = [
        f'<article id="{e(entry.slug)}" aria-labelledby="title-{e(entry.slug)}">',
        f'<h2 id="title-{e(entry.slug)}">{heading}</h2>',
        f'<p class="meta">{e(book.say("handout_length", count=minutes, minutes=minutes))}'
        f" · {clock(entry.duration)}</p>",
    ]
    if has_page:
        lines.append(f'<a class="open" href="{page}">{e(book.say("index_open"))}</a>')
    lines += [
        f'<audio id="{e(player)}" controls preload="metadata" src="{track}" '
        f'aria-label="{e(entry.title)}"><a href="{track}">{e(book.say("page_download"))}</a>'
        "</audio>",
        f'<h3 id="chapters-{e(entry.slug)}">{e(book.say("page_exercises"))}</h3>',
        f'<ol aria-labelledby="chapters-{e(entry.slug)}">',
    ]
    target = page if has_page else track
    for chapter in entry.chapters:
        lines.append(
            f'<li><a href="{target}#t={chapter.start:.2f}" data-player="{e(player)}" '
            f'data-start="{chapter.start:.3f}"><span class="at">{clock(chapter.start)}</span>'
            f"<span>{e(chapter.title)}</span></a></li>"
        )
    files = []
    if handout:
        files.append(f'<a href="{handout}">{e(book.say("page_handout"))}</a>')
    files.append(f'<a href="{track}" download>{e(book.say("page_download"))}</a>')
    lines += ["</ol>", f'<p class="files">{"".join(files)}</p>', "</article>"]
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
