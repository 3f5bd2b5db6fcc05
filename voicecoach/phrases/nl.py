"""Dutch (Nederlands) phrases.

Register: "je", as Dutch physiotherapists speak to patients and write their
home-exercise instructions. Sides are "de linkerkant" / "de rechterkant". Numbers are
digits (every engine reads them in Dutch) except "één" for one.
"""

from __future__ import annotations

from types import MappingProxyType

PHRASES = MappingProxyType(
    {
        "chapter_intro": "Inleiding",
        "chapter_outro": "Afsluiting",
        "intro_title": "{title}.",
        "intro_length": "Deze sessie duurt ongeveer {minutes} minuten.",
        "intro_length_one": "Deze sessie duurt ongeveer een minuut.",
        "intro_exercises": "We doen {n} oefeningen.",
        "intro_exercises_one": "We doen één oefening.",
        "intro_equipment": "Je hebt nodig: {items}.",
        "intro_begin": "We gaan beginnen.",
        "exercise_of": "Oefening {number} van {total}: {name}.",
        "exercise_only": "{name}.",
        "setup_heading": "Uitgangshouding.",
        "caution": "Let op: {text}",
        "cues_heading": "De beweging.",
        "dose_reps": "{sets} series van {reps}.",
        "dose_reps_one": "Eén serie van {reps}.",
        "dose_holds": "{sets} series van {reps} {hold} vasthouden.",
        "dose_holds_one": "Eén serie van {reps} {hold} vasthouden.",
        "dose_work": "Houd het {work} vol, {sets} keer.",
        "dose_work_one": "Houd het {work} vol.",
        "reps": "{n} herhalingen",
        "reps_one": "één herhaling",
        "holds": "{n} keer",
        "holds_one": "één keer",
        "dose_each_side": "Aan elke kant.",
        "dose_alternating": "Na elke serie wissel je van kant.",
        "tempo": "{up} {up_word}, {down} {down_word}.",
        "tempo_hold": "{up} {up_word}, {hold} vasthouden, dan {down} {down_word}.",
        "tones_hint": "Volg de tonen: elke toon begint het volgende deel van de beweging.",
        "side_first": "Begin met {label}.",
        "side_change": "Wissel van kant. Nu {label}.",
        "set_of": "Serie {n} van {total}.",
        "set_last": "Laatste serie.",
        "get_ready": "Maak je klaar.",
        "rep": "{n}",
        "rep_last": "En de laatste.",
        "halfway": "Halverwege.",
        "hold_start": "Vasthouden.",
        "hold_left": "Nog {seconds} seconden.",
        "relax_count": "Laat maar los. Dat waren er {n}.",
        "relax_count_one": "Laat maar los. Dat was er één.",
        "relax": "Laat maar los.",
        "work_left": "Nog {seconds} seconden.",
        "countdown": "{n}",
        "stop": "En stop.",
        "rest": "{duration} rust.",
        "next_set": "Zo meteen: serie {n} van {total}.",
        "next_last_set": "Zo meteen: de laatste serie.",
        "next_side_set": "Zo meteen: {label}, serie {n} van {total}.",
        "next_side_last_set": "Zo meteen: {label}, de laatste serie.",
        "rest_left": "Nog {seconds} seconden.",
        "exercise_done": "Goed gedaan.",
        "outro": "Dat was de sessie. Goed gedaan, en tot de volgende keer.",
        "side_left": "de linkerkant",
        "side_right": "de rechterkant",
        "seconds": "{n} seconden",
        "seconds_one": "één seconde",
        "seconds_half": "{n} en een halve seconde",
        "seconds_half_one": "anderhalve seconde",
        "half_second": "een halve seconde",
        "minutes": "{n} minuten",
        "minutes_one": "één minuut",
        "minutes_half": "{n} en een halve minuut",
        "minutes_half_one": "anderhalve minuut",
        "minutes_seconds": "{m} en {n} seconden",
        "minutes_seconds_one": "{m} en één seconde",
        "list_last": "{items} en {last}",
        "page_exercise_of": "Oefening {number} van {total}",
        "page_set_of": "Serie {n} van {total}",
        "page_rep_of": "Herhaling {n} van {total}",
        "page_hold_of": "Vasthouden {n} van {total}",
        "page_side_left": "Linkerkant",
        "page_side_right": "Rechterkant",
        "page_briefing": "Neem de uitgangshouding aan",
        "page_get_ready": "Maak je klaar",
        "page_rest": "Rust",
        "page_sides": "Wissel van kant",
        "page_hold": "Vasthouden",
        "page_relax": "Ontspan",
        "page_work": "Volhouden",
        "page_done": "Goed gedaan",
        "page_seconds_left": "seconden",
        "page_seconds_left_one": "seconde",
        "page_next_up": "Hierna: {what}",
        "page_time_left": "nog {time}",
        "page_exercise_time": "Deze oefening",
        "page_session_time": "Sessie",
        "page_now_saying": "Nu gezegd",
        "page_play": "Afspelen",
        "page_pause": "Pauzeren",
        "page_previous": "Vorige oefening",
        "page_next": "Volgende oefening",
        "page_position": "Positie in de sessie",
        "page_exercises": "Oefeningen",
        "page_handout": "Hand-out om te printen",
        "page_download": "Het geluidsbestand downloaden",
        "handout_equipment": "Je hebt nodig",
        "handout_length": "Ongeveer {minutes} minuten",
        "handout_length_one": "Ongeveer een minuut",
        "handout_setup": "Uitgangshouding",
        "handout_cues": "De beweging",
        "handout_reminders": "Let tijdens het oefenen op",
        "handout_caution": "Let op",
        "handout_print": "Printen",
        "index_title": "Oefenprogramma's",
        "index_programmes": "{n} programma's",
        "index_programmes_one": "Eén programma",
        "index_total": "{time} in totaal",
        "index_playlist": "Afspeellijst",
        "index_open": "Speler openen",
        "index_empty": "Nog geen programma's.",
        # issue 12: sides, time updates, transitions, reminders, holds
        "tempo_pause": "{up} {up_word}, {down} {down_word}, dan {pause} rust.",
        "tempo_hold_pause": (
            "{up} {up_word}, {hold} vasthouden, {down} {down_word}, dan {pause} rust."
        ),
        "dose_holds_single": "Eén keer {hold} vasthouden.",
        "dose_holds_single_sets": "{sets} keer {hold} vasthouden.",
        "dose_alternating_reps": "Wissel bij elke herhaling van kant; een paar telt als één.",
        "label_left": "je linkerkant",
        "label_right": "je rechterkant",
        "label_left_leg": "je linkerbeen",
        "label_right_leg": "je rechterbeen",
        "label_left_arm": "je linkerarm",
        "label_right_arm": "je rechterarm",
        "label_lying_on": "liggend op {side}",
        "side_word_left": "linker",
        "side_word_right": "rechter",
        "side_only": "Deze oefening doe je alleen met {label}.",
        "side_first_lying_on": "Ga op {side} liggen; je werkt met {other}.",
        "side_only_lying_on": "Ga op {side} liggen; je werkt met {other}.",
        "side_change_lying_on": "Draai om: ga op {side} liggen; je werkt met {other}.",
        "word_up": "omhoog",
        "word_down": "omlaag",
        "reminders_heading": "Let hierop.",
        "lead_in": "Kom in positie.",
        "lead_in_word": "{word}.",
        "hold_after_lead_in": "En vasthouden.",
        "rest_time_left": "Nog {duration}.",
        "work_time_left": "Nog {duration}.",
        "hold_time_left": "Nog {duration}.",
        "next_exercise": "Zo meteen: {name}.",
        # issue 14: tones: none, de stem geeft het ritme aan
        "phase_word": "{word}.",
        "phase_hold": "Houden.",
        "phase_go": "Start.",
        "phases_hint": "Volg mijn stem: elk woord begint het volgende deel van de beweging.",
    }
)
"""Template per phrase key."""

_ONES = [
    "nul",
    "één",
    "twee",
    "drie",
    "vier",
    "vijf",
    "zes",
    "zeven",
    "acht",
    "negen",
    "tien",
    "elf",
    "twaalf",
    "dertien",
    "veertien",
    "vijftien",
    "zestien",
    "zeventien",
    "achttien",
    "negentien",
]
_TENS = [
    "_",
    "_",
    "twintig",
    "dertig",
    "veertig",
    "vijftig",
    "zestig",
    "zeventig",
    "tachtig",
    "negentig",
]


def words(n: int) -> str:
    """N (0-999) in words: 21 -> 'eenentwintig'; digits from 1000 on."""
    if n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    head = f"{'' if hundreds == 1 else _ONES[hundreds]}honderd" if hundreds else ""
    if rest == 0:
        return head or _ONES[0]
    if rest < 20:
        unit = "een" if hundreds and rest == 1 else _ONES[rest]
        return head + unit
    tens, unit = divmod(rest, 10)
    if not unit:
        return head + _TENS[tens]
    said = "een" if unit == 1 else _ONES[unit]
    return f"{head}{said}{'ën' if said.endswith('e') else 'en'}{_TENS[tens]}"


def number(n: int, form: str) -> str:
    """N as said: 'w' words; 'f' / 'm' (before a noun) digits, except 'één' for one."""
    if form == "w":
        return words(n)
    if form in ("f", "m") and n == 1:
        return "één"
    return str(n)
