"""Every sentence voicecoach generates, per language: the phrase packs and their book.

One module per language (`en`, `nl`, ...) holds that language's table in `PHRASES`;
adding a language is one new module and one line in LANGUAGES. Templates use
str.format fields. A key ending in "_one" is used instead of the plain key when the
count it is about is 1. The compiler never builds sentences itself. This package
imports nothing from the rest of voicecoach, so the loader and the compiler may both
read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from voicecoach.phrases import en, nl

LANGUAGES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en": en.PHRASES,
        "nl": nl.PHRASES,
    }
)
"""Phrase packs by language code."""


@dataclass(frozen=True)
class PhraseBook:
    """Formats the sentences of one language."""

    language: str
    """Language code of the pack."""
    table: Mapping[str, str]
    """Template per phrase key."""

    @classmethod
    def for_language(cls, language: str) -> PhraseBook:
        """The phrase book for LANGUAGE (a code from LANGUAGES)."""
        return cls(language, LANGUAGES[language])

    def say(self, key: str, count: int | None = None, **fields: object) -> str:
        """The sentence KEY with FIELDS filled in; COUNT picks the '_one' form for 1."""
        if count == 1 and f"{key}_one" in self.table:
            key = f"{key}_one"
        return self.table[key].format(**fields)

    def side(self, side: str) -> str:
        """How a side is said ('left' -> 'left'; unknown labels as written)."""
        return self.table.get(f"side_{side.lower()}", side)

    def duration(self, seconds: float) -> str:
        """'30 seconds', 'one minute', '1 minute and 30 seconds', '2.5 seconds'."""
        halves = round(seconds * 2) / 2  # said to the nearest half second
        if seconds < 10 and halves % 1:
            number = f"{halves:.1f}".replace(".", self.table["decimal_point"])
            return self.say("seconds_fraction", n=number)
        total = max(1, round(seconds))
        minutes, secs = divmod(total, 60)
        if not minutes:
            return self.say("seconds", count=secs, n=secs)
        said_minutes = self.say("minutes", count=minutes, n=minutes)
        if not secs:
            return said_minutes
        said_seconds = self.say("seconds", count=secs, n=secs)
        return self.say("minutes_seconds", m=said_minutes, s=said_seconds)

    def items(self, items: Sequence[str]) -> str:
        """'a, b and c'."""
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + self.table["list_and"] + items[-1]
