"""Every sentence voicecoach generates, per language: the phrase packs and their book.

One module per language (`en`, `nl`, ...) holds that language's table in `PHRASES`
and `number(n, form)`, how it says a whole number (and may hold `polish(text)`, a last
touch such as French elision); adding a language is one new module and one line in
LANGUAGES. Templates use str.format fields. A key ending in "_one" is used instead of
the plain key when the count it is about is 1. A whole-number field may carry a form:
`{n}` digits, `{n:w}` words, `{n:f}` / `{n:m}` as said before a feminine / masculine
noun (words where the agreement is heard, as in "vingt et une", else digits). The
compiler never builds sentences itself. This package imports nothing from the rest of
voicecoach, so the loader and the compiler may both read it.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType

from voicecoach.phrases import de, en, es, fr, nl

NUMBER_FORMS = ("", "w", "f", "m")
"""Forms a whole-number field may take: digits, words, before a feminine / masculine noun."""
NUMBER_FIELDS = frozenset({"n", "total", "number", "sets", "minutes", "seconds"})
"""Placeholders that always carry a whole number (and so may take a form)."""
WRITTEN_FIELDS = frozenset({"title", "name", "text", "items"})
"""Placeholders that carry the programme's own words (never re-capitalised)."""
SESSION_KEYS = frozenset(
    {
        "chapter_intro",
        "chapter_outro",
        "intro_title",
        "intro_length",
        "intro_length_one",
        "intro_exercises",
        "intro_exercises_one",
        "intro_equipment",
        "intro_begin",
        "outro",
    }
)
"""Keys said outside any exercise: a programme's `phrases:` may set them, an exercise's not."""


def _unchanged(text: str) -> str:
    return text


@dataclass(frozen=True)
class PhrasePack:
    """One language: a template per phrase key and how it says numbers."""

    table: Mapping[str, str]
    """Template per phrase key."""
    number: Callable[[int, str], str]
    """A whole number in a form from NUMBER_FORMS."""
    polish: Callable[[str], str] = _unchanged
    """A last touch on every sentence (e.g. French elision)."""

    @classmethod
    def of(cls, module: ModuleType) -> PhrasePack:
        """The pack a language module defines."""
        return cls(module.PHRASES, module.number, getattr(module, "polish", _unchanged))


LANGUAGES: Mapping[str, PhrasePack] = MappingProxyType(
    {
        "en": PhrasePack.of(en),
        "nl": PhrasePack.of(nl),
        "de": PhrasePack.of(de),
        "fr": PhrasePack.of(fr),
        "es": PhrasePack.of(es),
    }
)
"""Phrase packs by language code."""
REFERENCE = "en"
"""The pack whose keys and placeholders every other pack (and every override) matches."""


class _Number:
    """A whole number in a template: `format` picks digits, words or a gendered form."""

    def __init__(self, value: int, say: Callable[[int, str], str]) -> None:
        self.value = value
        self.say = say

    def __format__(self, form: str) -> str:
        if form not in NUMBER_FORMS:
            raise ValueError(f"unknown number form {form!r}")
        return self.say(self.value, form)


def placeholders(template: str) -> dict[str, set[str]]:
    """The fields of TEMPLATE with the forms each takes; ValueError if it is malformed.

    Only plain names are fields ({n}, {side}); {n.x}, {n[0]} and {n!r} are refused.
    """
    found: dict[str, set[str]] = {}
    for _, name, form, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"{{{name}}} is not a placeholder name")
        if conversion is not None:
            raise ValueError(f"{{{name}!{conversion}}}: write the placeholder as {{{name}}}")
        if "{" in (form or ""):
            raise ValueError(f"{{{name}:{form}}}: a form cannot hold a placeholder")
        found.setdefault(name, set()).add(form or "")
    return found


def override_problem(key: str, template: str, *, in_exercise: bool = False) -> str | None:
    """Why TEMPLATE cannot replace phrase KEY (None if it can): key_problem, then
    wording_problem."""
    return key_problem(key, in_exercise=in_exercise) or wording_problem(key, template)


def key_problem(key: str, *, in_exercise: bool = False) -> str | None:
    """Why KEY cannot be overridden (None if it can).

    IN_EXERCISE: the override belongs to one exercise, so the session keys are refused.
    """
    reference = LANGUAGES[REFERENCE].table
    if key not in reference:
        hint = difflib.get_close_matches(key, list(reference), n=1, cutoff=0.6)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown phrase key '{key}'{suggestion}; `voicecoach phrases --keys` lists them"
    if in_exercise and key in SESSION_KEYS:
        return f"'{key}' is said outside the exercises; set it in the programme's phrases:"
    return None


def wording_problem(key: str, template: str) -> str | None:
    """Why TEMPLATE cannot be the wording of KEY (a known key); None if it can.

    It must keep the key's placeholders, no more and no fewer, and give a form only to
    a number.
    """
    try:
        fields = placeholders(template)
    except ValueError as err:
        return f"{err} (write {{{{ and }}}} for a literal brace)"
    wanted = set(placeholders(LANGUAGES[REFERENCE].table[key]))
    unknown = sorted(set(fields) - wanted)
    missing = sorted(wanted - set(fields))
    takes = ", ".join(f"{{{name}}}" for name in sorted(wanted)) or "no placeholders"
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; '{key}' takes {takes}"
    if missing:
        return f"missing placeholder {{{missing[0]}}}; '{key}' takes {takes}"
    for name, forms in fields.items():
        if name not in NUMBER_FIELDS and forms - {""}:
            return f"{{{name}:{sorted(forms - {''})[0]}}}: only a number takes a form"
        if bad := sorted(forms - set(NUMBER_FORMS)):
            return (
                f"{{{name}:{bad[0]}}}: a number's form is w (words), f or m (before a "
                "feminine or masculine noun)"
            )
    return None


@dataclass(frozen=True)
class PhraseBook:
    """Formats the sentences of one language, with a programme's own wording over it."""

    language: str
    """Language code of the pack."""
    pack: PhrasePack
    """The language's templates and numbers."""
    overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Templates that replace the pack's (checked with override_problem)."""

    @classmethod
    def for_language(cls, language: str) -> PhraseBook:
        """The phrase book for LANGUAGE (a code from LANGUAGES)."""
        return cls(language, LANGUAGES[language])

    def with_overrides(self, overrides: Mapping[str, str]) -> PhraseBook:
        """This book with OVERRIDES over its templates (later wins)."""
        if not overrides:
            return self
        return PhraseBook(
            self.language, self.pack, MappingProxyType({**self.overrides, **overrides})
        )

    def template(self, key: str) -> str:
        """The template said for KEY."""
        return self.overrides.get(key) or self.pack.table[key]

    def say(self, key: str, count: int | None = None, **fields: object) -> str:
        """The sentence KEY with FIELDS filled in; COUNT picks the '_one' form for 1.

        Starts with a capital letter ("{duration} de repos." -> "Une minute de repos.").
        """
        text = self.part(key, count, **fields)
        template = self.template(key if count != 1 else self._key(key, count))
        if not template.startswith("{") or next(iter(placeholders(template))) in WRITTEN_FIELDS:
            return text  # the template's own first letter, or the programme's words as written
        return text[:1].upper() + text[1:]

    def part(self, key: str, count: int | None = None, **fields: object) -> str:
        """KEY filled in as a part of a sentence (no capital added)."""
        key = self._key(key, count)
        values = {
            name: _Number(value, self.pack.number)
            if isinstance(value, int) and not isinstance(value, bool)
            else value
            for name, value in fields.items()
        }
        return self.pack.polish(self.template(key).format(**values))

    def _key(self, key: str, count: int | None) -> str:
        """KEY, or its '_one' form when COUNT is 1 and the pack has one."""
        return f"{key}_one" if count == 1 and f"{key}_one" in self.pack.table else key

    def side(self, side: str) -> str:
        """How a side is said ('left' -> 'links'; unknown labels as written)."""
        key = f"side_{side.lower()}"
        return self.part(key) if key in self.pack.table else side

    def count(self, key: str, n: int) -> str:
        """'10 reps', 'one rep': the count phrase KEY for N."""
        return self.part(key, count=n, n=n)

    def duration(self, seconds: float) -> str:
        """'30 seconds', 'one minute', 'a minute and a half', '2 and a half seconds'.

        Under 10 s said to the nearest half second, else to the second; 'M and a half'
        minutes for M:30.
        """
        halves = round(seconds * 2) / 2
        if seconds < 10 and halves % 1:
            whole = int(halves)
            if not whole:
                return self.part("half_second")
            return self.part("seconds_half", count=whole, n=whole)
        total = max(1, round(seconds))
        minutes, secs = divmod(total, 60)
        if not minutes:
            return self.part("seconds", count=secs, n=secs)
        if secs == 30:
            return self.part("minutes_half", count=minutes, n=minutes)
        said_minutes = self.part("minutes", count=minutes, n=minutes)
        if not secs:
            return said_minutes
        return self.part("minutes_seconds", count=secs, m=said_minutes, n=secs)

    def items(self, items: Sequence[str]) -> str:
        """'a, b and c'."""
        if len(items) <= 1:
            return "".join(items)
        return self.part("list_last", items=", ".join(items[:-1]), last=items[-1])
