"""Every sentence voicecoach generates, per language, in one table.

Templates use str.format fields. A key ending in "_one" is used instead of the plain
key when the count it is about is 1. The compiler never builds sentences itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

EN = MappingProxyType(
    {
        "chapter_intro": "Introduction",
        "chapter_outro": "Finish",
        "intro_title": "{title}.",
        "intro_length": "This session takes about {minutes} minutes.",
        "intro_length_one": "This session takes about one minute.",
        "intro_exercises": "It has {n} exercises.",
        "intro_exercises_one": "It has one exercise.",
        "intro_equipment": "You will need: {items}.",
        "intro_begin": "Let's begin.",
        "exercise_of": "Exercise {number} of {total}: {name}.",
        "exercise_only": "{name}.",
        "setup_heading": "Starting position.",
        "caution": "Take care: {text}",
        "cues_heading": "The movement.",
        "dose_reps": "{sets} sets of {reps} reps.",
        "dose_reps_one": "One set of {reps} reps.",
        "dose_holds": "{sets} sets of {reps} holds, {hold} each.",
        "dose_holds_one": "One set of {reps} holds, {hold} each.",
        "dose_work": "{sets} sets of {work}.",
        "dose_work_one": "One set of {work}.",
        "dose_each_side": "On each side.",
        "dose_alternating": "Alternating sides.",
        "tempo": "Take {up} up, {down} down.",
        "tempo_hold": "Take {up} up, hold for {hold}, then {down} down.",
        "tones_hint": "Follow the tones: each one starts the next part of the movement.",
        "side_first": "Start with your {side} side.",
        "side_change": "Change sides. Now your {side} side.",
        "set_of": "Set {n} of {total}.",
        "set_last": "Last set.",
        "get_ready": "Get ready.",
        "rep": "{n}",
        "rep_last": "Last one.",
        "halfway": "Halfway.",
        "hold_start": "Hold.",
        "hold_left": "{seconds} more seconds.",
        "relax_count": "And relax. That's {n}.",
        "relax": "Relax.",
        "work_left": "{seconds} seconds to go.",
        "countdown": "{n}",
        "stop": "And stop.",
        "rest": "Rest for {duration}.",
        "next_set": "Next: set {n} of {total}.",
        "next_last_set": "Next: the last set.",
        "next_side_set": "Next: {side} side, set {n} of {total}.",
        "next_side_last_set": "Next: {side} side, the last set.",
        "rest_left": "{seconds} seconds.",
        "exercise_done": "Well done.",
        "outro": "That's the end of the session. Well done, and see you next time.",
        "side_left": "left",
        "side_right": "right",
        "seconds": "{n} seconds",
        "seconds_one": "one second",
        "seconds_fraction": "{n} seconds",
        "decimal_point": ".",
        "minutes": "{n} minutes",
        "minutes_one": "one minute",
        "minutes_seconds": "{m} and {s}",
        "list_and": " and ",
    }
)

NL = MappingProxyType(
    {
        "chapter_intro": "Inleiding",
        "chapter_outro": "Afsluiting",
        "intro_title": "{title}.",
        "intro_length": "Deze sessie duurt ongeveer {minutes} minuten.",
        "intro_length_one": "Deze sessie duurt ongeveer een minuut.",
        "intro_exercises": "Er zijn {n} oefeningen.",
        "intro_exercises_one": "Er is één oefening.",
        "intro_equipment": "Je hebt nodig: {items}.",
        "intro_begin": "We beginnen.",
        "exercise_of": "Oefening {number} van {total}: {name}.",
        "exercise_only": "{name}.",
        "setup_heading": "Uitgangshouding.",
        "caution": "Let op: {text}",
        "cues_heading": "De beweging.",
        "dose_reps": "{sets} series van {reps} herhalingen.",
        "dose_reps_one": "Eén serie van {reps} herhalingen.",
        "dose_holds": "{sets} series van {reps} keer {hold} vasthouden.",
        "dose_holds_one": "Eén serie van {reps} keer {hold} vasthouden.",
        "dose_work": "{sets} series van {work}.",
        "dose_work_one": "Eén serie van {work}.",
        "dose_each_side": "Aan elke kant.",
        "dose_alternating": "Om en om links en rechts.",
        "tempo": "{up} omhoog, {down} omlaag.",
        "tempo_hold": "{up} omhoog, {hold} vasthouden, dan {down} omlaag.",
        "tones_hint": "Volg de tonen: elke toon begint het volgende deel van de beweging.",
        "side_first": "Begin met je {side}kant.",
        "side_change": "Wissel van kant. Nu je {side}kant.",
        "set_of": "Serie {n} van {total}.",
        "set_last": "Laatste serie.",
        "get_ready": "Maak je klaar.",
        "rep": "{n}",
        "rep_last": "De laatste.",
        "halfway": "Halverwege.",
        "hold_start": "Vasthouden.",
        "hold_left": "Nog {seconds} seconden.",
        "relax_count": "En ontspan. Dat was {n}.",
        "relax": "Ontspan.",
        "work_left": "Nog {seconds} seconden.",
        "countdown": "{n}",
        "stop": "En stop.",
        "rest": "Rust {duration}.",
        "next_set": "Hierna: serie {n} van {total}.",
        "next_last_set": "Hierna: de laatste serie.",
        "next_side_set": "Hierna: {side}kant, serie {n} van {total}.",
        "next_side_last_set": "Hierna: {side}kant, de laatste serie.",
        "rest_left": "Nog {seconds} seconden.",
        "exercise_done": "Goed gedaan.",
        "outro": "Dat was de sessie. Goed gedaan, en tot de volgende keer.",
        "side_left": "linker",
        "side_right": "rechter",
        "seconds": "{n} seconden",
        "seconds_one": "één seconde",
        "seconds_fraction": "{n} seconden",
        "decimal_point": ",",
        "minutes": "{n} minuten",
        "minutes_one": "één minuut",
        "minutes_seconds": "{m} en {s}",
        "list_and": " en ",
    }
)

LANGUAGES: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": EN, "nl": NL})
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
