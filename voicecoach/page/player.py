"""NAME.html: the player page beside a track, for a phone on the floor.

One self-contained file (inline CSS and script, no fonts, no network): the track in an
<audio> element and, as it plays, the exercise, side, set, rep (or the seconds left in
a hold, a timed set or a rest), the line being spoken and the time left, in type large
enough to read from a mat. Everything the script needs is embedded as JSON, so the page
works opened from disk. The markup is rendered at the session's start, so the page reads
sensibly before its script runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from voicecoach.page.common import (
    asset,
    escape,
    exercise_book,
    json_for_script,
    labels,
    programme_book,
    side_label,
)
from voicecoach.page.model import SEGMENT_KINDS, segments
from voicecoach.phrases import PhraseBook
from voicecoach.script.model import Exercise, Programme
from voicecoach.timeline.clock import clock
from voicecoach.timeline.compiler import dose_lines
from voicecoach.timeline.model import Timeline

_ICONS = {
    "previous": '<path d="M7 5h2.5v14H7zM20 5v14L10.5 12z"/>',
    "play": '<path d="M8 5v14l11-7z"/>',
    "pause": '<path d="M7 5h3.5v14H7zM13.5 5H17v14h-3.5z"/>',
    "next": '<path d="M14.5 5H17v14h-2.5zM4 5l9.5 7L4 19z"/>',
}


def _icon(name: str) -> str:
    return (
        f'<svg class="icon icon-{name}" viewBox="0 0 24 24" aria-hidden="true" '
        f'focusable="false">{_ICONS[name]}</svg>'
    )


def _button(name: str, label: str, icons: tuple[str, ...], primary: bool = False) -> str:
    kind = "round primary" if primary else "round"
    shapes = "".join(_icon(icon) for icon in icons)
    return (
        f'<button type="button" id="{name}" class="{kind}" aria-label="{escape(label)}">'
        f"{shapes}</button>"
    )


def dose_summary(book: PhraseBook, exercise: Exercise) -> str:
    """The exercise's dose as the track says it (sets and reps, sides), one line."""
    return " ".join(
        dose_lines(exercise_book(book, exercise), exercise)[: 2 if len(exercise.sides) > 1 else 1]
    )


def page_data(
    programme: Programme,
    timeline: Timeline,
    track: str,
    images: Mapping[int, str],
) -> dict[str, object]:
    """What the page's script needs: chapters, exercises, segments, lines and labels."""
    book = programme_book(programme)
    sides = {side for ex in programme.exercises for side in ex.sides}
    return {
        "title": programme.title,
        "track": track,
        "duration": round(timeline.duration, 3),
        "chapters": [
            [c.title, round(c.start, 3), round(c.end, 3), c.exercise] for c in timeline.chapters
        ],
        "exercises": [
            {
                "name": ex.name,
                "dose": dose_summary(book, ex),
                "sets": ex.sets,
                "reps": getattr(ex.dose, "reps", None),
                "image": images.get(i),
            }
            for i, ex in enumerate(programme.exercises)
        ],
        "kinds": list(SEGMENT_KINDS),
        "segments": [s.to_json() for s in segments(programme, timeline)],
        "lines": [
            [round(e.start, 3), round(e.end, 3), e.text] for e in timeline.speech() if e.text
        ],
        "sides": {side: side_label(book, side) for side in sorted(sides)},
        "labels": labels(book),
    }


def player_html(
    programme: Programme,
    timeline: Timeline,
    track: str,
    *,
    images: Mapping[int, str] | None = None,
    handout: str | None = None,
) -> str:
    """The player page for TRACK (a file name beside the page) built from TIMELINE.

    IMAGES: {exercise index: image file name beside the page}. HANDOUT: the handout's
    file name, linked from the page when given.
    """
    images = dict(images or {})
    book = programme_book(programme)
    e = escape
    data = page_data(programme, timeline, track, images)
    first = timeline.chapters[0]
    session_left = book.part("page_time_left", time=clock(timeline.duration))
    src = quote(track)
    items = []
    for index, chapter in enumerate(timeline.chapters):
        exercise_index = chapter.exercise
        number = "" if exercise_index is None else str(exercise_index + 1)
        detail = ""
        if exercise_index is not None:
            detail = f'<span class="ex-dose">{e(data["exercises"][exercise_index]["dose"])}</span>'  # type: ignore[index]
        items.append(
            f'<li><button type="button" class="ex" data-chapter="{index}" '
            f'data-start="{chapter.start:.3f}">'
            f'<span class="ex-num" aria-hidden="true">{number}</span>'
            f'<span class="ex-text"><span class="ex-name">{e(chapter.title)}</span>{detail}</span>'
            f'<span class="ex-time">{clock(chapter.start)}</span></button></li>'
        )
    links = []
    if handout:
        links.append(f'<a href="{quote(handout)}">{e(book.part("page_handout"))}</a>')
    links.append(f'<a href="{src}" download>{e(book.part("page_download"))}</a>')
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(programme.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">',
        '<meta name="color-scheme" content="light dark">',
        '<meta name="theme-color" content="#f4f1ea" media="(prefers-color-scheme: light)">',
        '<meta name="theme-color" content="#101614" media="(prefers-color-scheme: dark)">',
        '<meta name="generator" content="voicecoach">',
        f"<title>{e(programme.title)}</title>",
        f"<style>\n{asset('player.css')}</style>",
        "</head>",
        "<body>",
        '<main class="player">',
        '<header class="top">',
        f'<p class="title">{e(programme.title)}</p>',
        f'<p class="session-left"><span class="k">{e(book.part("page_session_time"))}</span> '
        f'<span id="session-left">{e(session_left)}</span></p>',
        "</header>",
        '<section class="now" aria-labelledby="exercise-name">',
        f'<p class="eyebrow" id="exercise-number">{e(first.title)}</p>',
        f'<h1 id="exercise-name">{e(programme.title)}</h1>',
        '<p class="chips"><span class="chip chip-side" id="side" hidden></span>'
        '<span class="chip" id="set" hidden></span></p>',
        '<figure class="picture" id="picture" hidden><img id="image" alt=""></figure>',
        '<div class="stage" id="stage" data-kind="intro">',
        f'<p class="status" id="status">{e(first.title)}</p>',
        '<p class="big" id="big" hidden></p>',
        '<p class="unit" id="unit" hidden></p>',
        '<p class="caption" id="caption"></p>',
        '<div class="meter" aria-hidden="true"><div class="meter-fill" id="meter"></div></div>',
        "</div>",
        '<figure class="line">',
        f'<figcaption class="k">{e(book.part("page_now_saying"))}</figcaption>',
        '<blockquote id="line"></blockquote>',
        "</figure>",
        "</section>",
        '<section class="transport">',
        '<div class="seek">',
        f'<input type="range" id="seek" min="0" max="{timeline.duration:.3f}" step="0.1" '
        f'value="0" aria-label="{e(book.part("page_position"))}">',
        '<p class="times"><span id="elapsed">0:00</span>'
        f'<span id="exercise-left" class="exercise-left"></span>'
        f'<span id="remaining">-{clock(timeline.duration)}</span></p>',
        "</div>",
        '<div class="buttons">',
        _button("previous", book.part("page_previous"), ("previous",)),
        _button("play", book.part("page_play"), ("play", "pause"), primary=True),
        _button("next", book.part("page_next"), ("next",)),
        "</div>",
        f'<audio id="audio" src="{src}" preload="auto" controls></audio>',
        "</section>",
        f'<nav class="list" aria-labelledby="list-heading">'
        f'<h2 id="list-heading">{e(book.part("page_exercises"))}</h2>',
        f'<ol id="chapters">{"".join(items)}</ol>',
        "</nav>",
        f'<footer class="files">{"".join(links)}</footer>',
        "</main>",
        f'<script type="application/json" id="voicecoach-data">{json_for_script(data)}</script>',
        f"<script>\n{asset('player.js')}</script>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)
