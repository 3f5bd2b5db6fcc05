"""NAME.handout.html: the programme on paper, for the clinic to hand over with the track.

Per exercise: its name, dose and tempo, starting position, cues, reminders and caution,
in the sentences the track speaks (the programme's own lines, the dose in the phrase
pack's words). Print-ready: `@media print` drops the screen styling and keeps each
exercise on one page where it fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from voicecoach.page.common import asset, escape, exercise_book, programme_book
from voicecoach.page.model import exercise_chapters
from voicecoach.script.model import Programme
from voicecoach.timeline.clock import clock
from voicecoach.timeline.compiler import dose_lines
from voicecoach.timeline.model import Timeline


def _section(heading: str, lines: Sequence[str]) -> list[str]:
    if not lines:
        return []
    e = escape
    items = "".join(f"<li>{e(line)}</li>" for line in lines)
    return [f'<section class="part"><h3>{e(heading)}</h3><ul>{items}</ul></section>']


def handout_html(
    programme: Programme,
    timeline: Timeline,
    *,
    images: Mapping[int, str] | None = None,
    player: str | None = None,
) -> str:
    """The handout of PROGRAMME (IMAGES: {exercise index: file name beside the page};
    PLAYER: the player page's file name, linked on screen)."""
    images = dict(images or {})
    book = programme_book(programme)
    e = escape
    minutes = max(1, round(timeline.duration / 60))
    length = book.say("handout_length", count=minutes, minutes=minutes)
    starts = [timeline.chapters[i].start for i in exercise_chapters(timeline)]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(programme.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        '<meta name="generator" content="voicecoach">',
        f"<title>{e(programme.title)}</title>",
        f"<style>\n{asset('handout.css')}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{e(programme.title)}</h1>",
        f'<p class="meta">{e(length)}</p>',
    ]
    if programme.equipment:
        parts.append(
            f'<p class="equipment"><strong>{e(book.part("handout_equipment"))}:</strong> '
            f"{e(book.items(programme.equipment))}</p>"
        )
    actions = [
        f'<button type="button" onclick="window.print()">{e(book.part("handout_print"))}</button>'
    ]
    if player:
        actions.append(f'<a href="{quote(player)}">{e(book.part("index_open"))}</a>')
    parts.append(f'<p class="actions">{"".join(actions)}</p>')
    parts.append("</header>")
    parts.append('<ol class="exercises">')
    total = len(programme.exercises)
    for index, exercise in enumerate(programme.exercises):
        number = book.say("page_exercise_of", number=index + 1, total=total)
        parts.append('<li class="exercise">')
        parts.append(
            f'<p class="number">{e(number)} <span class="at">{clock(starts[index])}</span></p>'
        )
        parts.append(f"<h2>{e(exercise.name)}</h2>")
        dose = " ".join(dose_lines(exercise_book(book, exercise), exercise))
        parts.append(f'<p class="dose">{e(dose)}</p>')
        if index in images:
            parts.append(
                f'<figure><img src="{quote(images[index])}" alt="{e(exercise.name)}"></figure>'
            )
        parts += _section(book.part("handout_setup"), exercise.setup)
        parts += _section(book.part("handout_cues"), exercise.cues)
        parts += _section(book.part("handout_reminders"), exercise.reminders)
        if exercise.caution:
            parts.append(
                f'<section class="part caution"><h3>{e(book.part("handout_caution"))}</h3>'
                f"<p>{e(exercise.caution)}</p></section>"
            )
        parts.append("</li>")
    parts += ["</ol>", "</main>", "</body>", "</html>", ""]
    return "\n".join(parts)
