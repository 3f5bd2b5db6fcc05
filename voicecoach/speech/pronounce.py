"""Pronunciation: words respelt for the engine, never in captions or the timeline."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pronunciation:
    """Whole-word, case-insensitive respellings (word -> what the engine is given)."""

    words: tuple[tuple[str, str], ...] = ()
    """(word, spelling) pairs; the first pair for a word wins."""
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        firsts = dict(self._unique())
        if firsts:
            alternatives = "|".join(re.escape(w) for w in sorted(firsts, key=len, reverse=True))
            pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
            object.__setattr__(self, "_pattern", pattern)

    def _unique(self) -> Iterable[tuple[str, str]]:
        seen: set[str] = set()
        for word, spelling in self.words:
            if word.lower() not in seen:
                seen.add(word.lower())
                yield word, spelling

    def then(self, other: Pronunciation) -> Pronunciation:
        """These respellings, then OTHER's for words not respelt here."""
        return Pronunciation(self.words + other.words)

    def apply(self, text: str) -> str:
        """TEXT as the engine should hear it."""
        if self._pattern is None:
            return text
        spellings = {w.lower(): s for w, s in self._unique()}
        return self._pattern.sub(lambda m: spellings[m.group().lower()], text)
