"""What the player page and the handout share: labels from the phrase pack, clocks,
safe embedding of data and assets."""

from __future__ import annotations

import html
import json
from importlib import resources

from voicecoach.phrases import PhraseBook
from voicecoach.script.model import Exercise, Programme

LABEL_PREFIXES = ("page_", "handout_", "index_")
"""Phrase keys that are page wording (shown, never spoken)."""


def programme_book(programme: Programme) -> PhraseBook:
    """The phrase book the track of PROGRAMME speaks from (its `phrases:` included)."""
    return PhraseBook.for_language(programme.language).with_overrides(dict(programme.phrases))


def exercise_book(book: PhraseBook, exercise: Exercise) -> PhraseBook:
    """BOOK with EXERCISE's own `phrases:` over it (what is said within that exercise)."""
    return book.with_overrides(dict(exercise.phrases))


def labels(book: PhraseBook) -> dict[str, str]:
    """Every page wording template of BOOK's language, by key (for the page's script)."""
    return {key: book.template(key) for key in book.pack.table if key.startswith(LABEL_PREFIXES)}


def side_label(book: PhraseBook, side: str) -> str:
    """'Left side' for left; a side the pack doesn't know as the programme writes it."""
    key = f"page_side_{side.lower()}"
    return book.part(key) if key in book.pack.table else side


def json_for_script(data: object) -> str:
    """DATA as JSON safe inside a <script type="application/json"> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def asset(name: str) -> str:
    """The text of voicecoach/page/assets/NAME (inlined into the pages)."""
    return (resources.files("voicecoach.page") / "assets" / name).read_text(encoding="utf-8")


escape = html.escape
"""HTML-escape text (quotes too) for element content and attribute values."""
