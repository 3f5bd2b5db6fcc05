"""German (Deutsch) phrases.

Register: "du". German home-exercise apps and video programmes address the patient
with "du", and a voice in the ear while training at home is closer to a coach than to
a clinic letter; the imperatives stay short ("Halten.", "Locker lassen.").
Sides are said as the adverbs "links" / "rechts" ("Wir beginnen links."), which need
no declension. Numbers are digits (every engine reads them in German) except where a
word is needed: "eine" for one, and "zwei" in compounds such as "zweieinhalb".
"""

from __future__ import annotations

from types import MappingProxyType

PHRASES = MappingProxyType(
    {
        "chapter_intro": "Einleitung",
        "chapter_outro": "Abschluss",
        "intro_title": "{title}.",
        "intro_length": "Das Programm dauert etwa {minutes} Minuten.",
        "intro_length_one": "Das Programm dauert etwa eine Minute.",
        "intro_exercises": "Wir machen {n} Übungen.",
        "intro_exercises_one": "Wir machen eine Übung.",
        "intro_equipment": "Du brauchst: {items}.",
        "intro_begin": "Los geht's.",
        "exercise_of": "Übung {number} von {total}: {name}.",
        "exercise_only": "{name}.",
        "setup_heading": "Ausgangsstellung.",
        "caution": "Vorsicht: {text}",
        "cues_heading": "Ausführung.",
        "dose_reps": "{sets} Sätze, je {reps}.",
        "dose_reps_one": "Ein Satz, {reps}.",
        "dose_holds": "{sets} Sätze, je {reps} {hold} halten.",
        "dose_holds_one": "Ein Satz, {reps} {hold} halten.",
        "dose_work": "{sets}-mal {work} durchhalten.",
        "dose_work_one": "{work} durchhalten.",
        "reps": "{n} Wiederholungen",
        "reps_one": "eine Wiederholung",
        "holds": "{n} Mal",
        "holds_one": "einmal",
        "dose_each_side": "Auf jeder Seite.",
        "dose_alternating": "Nach jedem Satz wechselst du die Seite.",
        "tempo": "Jeweils {up} {up_word} und {down} {down_word}.",
        "tempo_hold": "Jeweils {up} {up_word}, {hold} halten und {down} {down_word}.",
        "tones_hint": "Achte auf die Töne: Jeder Ton startet den nächsten Teil der Bewegung.",
        "side_first": "Wir beginnen mit {label}.",
        "side_change": "Seitenwechsel. Jetzt mit {label}.",
        "set_of": "Satz {n} von {total}.",
        "set_last": "Letzter Satz.",
        "get_ready": "Mach dich bereit.",
        "rep": "{n}",
        "rep_last": "Und die letzte.",
        "halfway": "Halbzeit.",
        "hold_start": "Und halten.",
        "hold_left": "Noch {seconds} Sekunden.",
        "relax_count": "Und locker lassen. Das waren {n}.",
        "relax_count_one": "Und locker lassen. Das war die erste.",
        "relax": "Locker lassen.",
        "work_left": "Noch {seconds} Sekunden.",
        "countdown": "{n}",
        "stop": "Und Stopp.",
        "rest": "{duration} Pause.",
        "next_set": "Als Nächstes: Satz {n} von {total}.",
        "next_last_set": "Als Nächstes: der letzte Satz.",
        "next_side_set": "Als Nächstes: mit {label}, Satz {n} von {total}.",
        "next_side_last_set": "Als Nächstes: mit {label}, der letzte Satz.",
        "rest_left": "Noch {seconds} Sekunden.",
        "exercise_done": "Gut gemacht.",
        "outro": "Das war's für heute. Gut gemacht, und bis zum nächsten Mal.",
        "side_left": "links",
        "side_right": "rechts",
        "seconds": "{n} Sekunden",
        "seconds_one": "eine Sekunde",
        "seconds_half": "{n:w}einhalb Sekunden",
        "seconds_half_one": "eineinhalb Sekunden",
        "half_second": "eine halbe Sekunde",
        "minutes": "{n} Minuten",
        "minutes_one": "eine Minute",
        "minutes_half": "{n:w}einhalb Minuten",
        "minutes_half_one": "eineinhalb Minuten",
        "minutes_seconds": "{m} und {n} Sekunden",
        "minutes_seconds_one": "{m} und eine Sekunde",
        "list_last": "{items} und {last}",
        "page_exercise_of": "Übung {number} von {total}",
        "page_set_of": "Satz {n} von {total}",
        "page_rep_of": "Wiederholung {n} von {total}",
        "page_hold_of": "Halten {n} von {total}",
        "page_side_left": "Linke Seite",
        "page_side_right": "Rechte Seite",
        "page_briefing": "Geh in die Ausgangsposition",
        "page_get_ready": "Mach dich bereit",
        "page_rest": "Pause",
        "page_sides": "Seitenwechsel",
        "page_hold": "Halten",
        "page_relax": "Entspannen",
        "page_work": "Durchhalten",
        "page_done": "Gut gemacht",
        "page_seconds_left": "Sekunden übrig",
        "page_seconds_left_one": "Sekunde übrig",
        "page_next_up": "Als Nächstes: {what}",
        "page_time_left": "noch {time}",
        "page_exercise_time": "Diese Übung",
        "page_session_time": "Programm",
        "page_now_saying": "Gerade gesagt",
        "page_play": "Abspielen",
        "page_pause": "Anhalten",
        "page_previous": "Vorherige Übung",
        "page_next": "Nächste Übung",
        "page_position": "Position im Programm",
        "page_exercises": "Übungen",
        "page_handout": "Übungsblatt zum Drucken",
        "page_download": "Audiodatei herunterladen",
        "handout_equipment": "Du brauchst",
        "handout_length": "Etwa {minutes} Minuten",
        "handout_length_one": "Etwa eine Minute",
        "handout_setup": "Ausgangsposition",
        "handout_cues": "Die Bewegung",
        "handout_reminders": "Achte darauf",
        "handout_caution": "Vorsicht",
        "handout_print": "Drucken",
        "index_title": "Übungsprogramme",
        "index_programmes": "{n} Programme",
        "index_programmes_one": "Ein Programm",
        "index_total": "{time} insgesamt",
        "index_playlist": "Wiedergabeliste",
        "index_open": "Player öffnen",
        "index_empty": "Noch keine Programme.",
        # issue 12: sides, time updates, transitions, reminders, holds
        "tempo_pause": "Jeweils {up} {up_word}, {down} {down_word} und {pause} Pause.",
        "tempo_hold_pause": (
            "Jeweils {up} {up_word}, {hold} halten, {down} {down_word} und {pause} Pause."
        ),
        "dose_holds_single": "Einmal {hold} halten.",
        "dose_holds_single_sets": "{sets}-mal {hold} halten.",
        "dose_alternating_reps": (
            "Du wechselst bei jeder Wiederholung die Seite; ein Paar zählt als eine."
        ),
        "label_left": "der linken Seite",
        "label_right": "der rechten Seite",
        "label_left_leg": "dem linken Bein",
        "label_right_leg": "dem rechten Bein",
        "label_left_arm": "dem linken Arm",
        "label_right_arm": "dem rechten Arm",
        "label_lying_on": "auf {side} liegend",
        "side_word_left": "linke",
        "side_word_right": "rechte",
        "side_only": "Diese Übung machst du nur mit {label}.",
        "side_first_lying_on": "Du liegst auf {side} und arbeitest mit {other}.",
        "side_only_lying_on": "Du liegst auf {side} und arbeitest mit {other}.",
        "side_change_lying_on": (
            "Dreh dich um: Du liegst jetzt auf {side} und arbeitest mit {other}."
        ),
        "word_up": "hoch",
        "word_down": "zurück",
        "reminders_heading": "Denk daran.",
        "lead_in": "Geh in Position.",
        "lead_in_word": "{word}.",
        "hold_after_lead_in": "Und halten.",
        "rest_time_left": "Noch {duration}.",
        "work_time_left": "Noch {duration}.",
        "hold_time_left": "Noch {duration}.",
        "next_exercise": "Als Nächstes: {name}.",
        # issue 14: tones: none, die Stimme gibt den Takt vor
        "phase_word": "{word}.",
        "phase_hold": "Halten.",
        "phase_go": "Los.",
        "phases_hint": "Achte auf meine Stimme: Jedes Wort startet den nächsten Teil der Bewegung.",
    }
)
"""Template per phrase key."""

_ONES = [
    "null",
    "eins",
    "zwei",
    "drei",
    "vier",
    "fünf",
    "sechs",
    "sieben",
    "acht",
    "neun",
    "zehn",
    "elf",
    "zwölf",
    "dreizehn",
    "vierzehn",
    "fünfzehn",
    "sechzehn",
    "siebzehn",
    "achtzehn",
    "neunzehn",
]
_TENS = [
    "_",
    "_",
    "zwanzig",
    "dreißig",
    "vierzig",
    "fünfzig",
    "sechzig",
    "siebzig",
    "achtzig",
    "neunzig",
]


def words(n: int) -> str:
    """N (0-999) in words: 21 -> 'einundzwanzig'; digits from 1000 on."""
    if n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    head = f"{'ein' if hundreds == 1 else _ONES[hundreds]}hundert" if hundreds else ""
    if rest == 0:
        return head or _ONES[0]
    if rest < 20:
        return head + _ONES[rest]
    tens, unit = divmod(rest, 10)
    if not unit:
        return head + _TENS[tens]
    return f"{head}{'ein' if unit == 1 else _ONES[unit]}und{_TENS[tens]}"


def number(n: int, form: str) -> str:
    """N as said: 'w' words; 'f' / 'm' before a feminine / masculine noun ('eine', 'ein')."""
    if form == "w":
        return words(n)
    if form in ("f", "m") and n == 1:
        return "eine" if form == "f" else "ein"
    return str(n)
