"""French (français) phrases.

Register: "vous". A kinésithérapeute in France says "vous" to an adult patient, and
the home-exercise sheets clinics hand out are written that way; "tu" would sound
over-familiar from a clinic's voice. Sides: "le côté gauche" / "le côté droit".
Numbers are digits (every engine reads them in French) except where agreement is
heard: one and the numbers ending in one before a feminine noun are words ("une
série", "vingt et une secondes"). "de" before "un"/"une" is elided ("d'une minute").
"""

from __future__ import annotations

import re
from types import MappingProxyType

PHRASES = MappingProxyType(
    {
        "chapter_intro": "Introduction",
        "chapter_outro": "Fin de séance",
        "intro_title": "{title}.",
        "intro_length": "Cette séance dure environ {minutes:f} minutes.",
        "intro_length_one": "Cette séance dure environ une minute.",
        "intro_exercises": "Elle comporte {n:m} exercices.",
        "intro_exercises_one": "Elle comporte un seul exercice.",
        "intro_equipment": "Prévoyez : {items}.",
        "intro_begin": "Commençons.",
        "exercise_of": "Exercice {number} sur {total} : {name}.",
        "exercise_only": "{name}.",
        "setup_heading": "Position de départ.",
        "caution": "Attention : {text}",
        "cues_heading": "Le mouvement.",
        "dose_reps": "{sets:f} séries de {reps}.",
        "dose_reps_one": "Une série de {reps}.",
        "dose_holds": "{sets:f} séries de {reps} de {hold}.",
        "dose_holds_one": "Une série de {reps} de {hold}.",
        "dose_work": "Tenez bon pendant {work}, {sets} fois.",
        "dose_work_one": "Tenez bon pendant {work}.",
        "reps": "{n:f} répétitions",
        "reps_one": "une répétition",
        "holds": "{n:m} maintiens",
        "holds_one": "un maintien",
        "dose_each_side": "De chaque côté.",
        "dose_alternating": "Vous changez de côté à chaque série.",
        "tempo": "{up} pour {up_word}, {down} pour {down_word}.",
        "tempo_hold": "{up} pour {up_word}, {hold} de maintien, puis {down} pour {down_word}.",
        "tones_hint": "Suivez les bips : chaque bip lance l'étape suivante du mouvement.",
        "side_first": "Commencez par {label}.",
        "side_change": "Changez de côté. Maintenant, {label}.",
        "set_of": "Série {n} sur {total}.",
        "set_last": "Dernière série.",
        "get_ready": "Préparez-vous.",
        "rep": "{n}",
        "rep_last": "Et la dernière.",
        "halfway": "Vous êtes à la moitié.",
        "hold_start": "Tenez.",
        "hold_left": "Encore {seconds} secondes.",
        "relax_count": "Relâchez. Et de {n:f}.",
        "relax_count_one": "Relâchez. Et d'une.",
        "relax": "Relâchez.",
        "work_left": "Encore {seconds} secondes.",
        "countdown": "{n}",
        "stop": "Et stop.",
        "rest": "{duration} de repos.",
        "next_set": "Ensuite : série {n} sur {total}.",
        "next_last_set": "Ensuite : la dernière série.",
        "next_side_set": "Ensuite : {label}, série {n} sur {total}.",
        "next_side_last_set": "Ensuite : {label}, la dernière série.",
        "rest_left": "Encore {seconds} secondes.",
        "exercise_done": "Très bien.",
        "outro": "La séance est terminée. Bravo, et à la prochaine fois.",
        "side_left": "gauche",
        "side_right": "droit",
        "seconds": "{n:f} secondes",
        "seconds_one": "une seconde",
        "seconds_half": "{n:f} secondes et demie",
        "seconds_half_one": "une seconde et demie",
        "half_second": "une demi-seconde",
        "minutes": "{n:f} minutes",
        "minutes_one": "une minute",
        "minutes_half": "{n:f} minutes trente",
        "minutes_half_one": "une minute trente",
        "minutes_seconds": "{m} {n:f}",
        "minutes_seconds_one": "{m} et une seconde",
        "list_last": "{items} et {last}",
        "page_exercise_of": "Exercice {number} sur {total}",
        "page_set_of": "Série {n} sur {total}",
        "page_rep_of": "Répétition {n} sur {total}",
        "page_hold_of": "Maintien {n} sur {total}",
        "page_side_left": "Côté gauche",
        "page_side_right": "Côté droit",
        "page_briefing": "Mettez-vous en position",
        "page_get_ready": "Préparez-vous",
        "page_rest": "Repos",
        "page_sides": "Changez de côté",
        "page_hold": "Tenez",
        "page_relax": "Relâchez",
        "page_work": "Continuez",
        "page_done": "Bravo",
        "page_seconds_left": "secondes restantes",
        "page_seconds_left_one": "seconde restante",
        "page_next_up": "Ensuite : {what}",
        "page_time_left": "encore {time}",
        "page_exercise_time": "Cet exercice",
        "page_session_time": "Séance",
        "page_now_saying": "En ce moment",
        "page_play": "Lecture",
        "page_pause": "Pause",
        "page_previous": "Exercice précédent",
        "page_next": "Exercice suivant",
        "page_position": "Position dans la séance",
        "page_exercises": "Exercices",
        "page_handout": "Fiche à imprimer",
        "page_download": "Télécharger la piste audio",
        "handout_equipment": "Il vous faut",
        "handout_length": "Environ {minutes} minutes",
        "handout_length_one": "Environ une minute",
        "handout_setup": "Position de départ",
        "handout_cues": "Le mouvement",
        "handout_reminders": "Pendant l'exercice",
        "handout_caution": "Attention",
        "handout_print": "Imprimer",
        "index_title": "Programmes d'exercices",
        "index_programmes": "{n} programmes",
        "index_programmes_one": "Un programme",
        "index_total": "{time} au total",
        "index_playlist": "Liste de lecture",
        "index_open": "Ouvrir le lecteur",
        "index_empty": "Aucun programme pour l'instant.",
        # issue 12: sides, time updates, transitions, reminders, holds
        "tempo_pause": "{up} pour {up_word}, {down} pour {down_word}, puis {pause} de pause.",
        "tempo_hold_pause": (
            "{up} pour {up_word}, {hold} de maintien, {down} pour {down_word}, puis {pause} "
            "de pause."
        ),
        "dose_holds_single": "Tenez {hold}, une fois.",
        "dose_holds_single_sets": "Tenez {hold}, {sets} fois.",
        "dose_alternating_reps": "Changez de côté à chaque répétition ; une paire compte pour une.",
        "label_left": "le côté gauche",
        "label_right": "le côté droit",
        "label_left_leg": "la jambe gauche",
        "label_right_leg": "la jambe droite",
        "label_left_arm": "le bras gauche",
        "label_right_arm": "le bras droit",
        "label_lying_on": "sur {side}",
        "side_word_left": "gauche",
        "side_word_right": "droit",
        "side_only": "Cet exercice se fait uniquement avec {label}.",
        "side_first_lying_on": "Allongez-vous sur {side} ; c'est {other} qui travaille.",
        "side_only_lying_on": "Allongez-vous sur {side} ; c'est {other} qui travaille.",
        "side_change_lying_on": (
            "Tournez-vous : allongez-vous sur {side} ; c'est {other} qui travaille."
        ),
        "word_up": "monter",
        "word_down": "redescendre",
        "reminders_heading": "Gardez ceci en tête.",
        "lead_in": "Mettez-vous en position.",
        "lead_in_word": "{word}.",
        "hold_after_lead_in": "Et tenez.",
        "rest_time_left": "Encore {duration}.",
        "work_time_left": "Encore {duration}.",
        "hold_time_left": "Encore {duration}.",
        "next_exercise": "Ensuite : {name}.",
        # issue 14: tones: none, la voix donne le rythme
        "phase_word": "{word}.",
        "phase_hold": "Tenir.",
        "phase_go": "Allez.",
        "phases_hint": "Suivez ma voix : chaque mot lance l'étape suivante du mouvement.",
    }
)
"""Template per phrase key."""

_ONES = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
]
_TENS = ["_", "_", "vingt", "trente", "quarante", "cinquante", "soixante"]
_ELISION = re.compile(r"\b([Dd])e (une?)\b")


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 70:
        tens, unit = divmod(n, 10)
        if not unit:
            return _TENS[tens]
        return f"{_TENS[tens]}{' et ' if unit == 1 else '-'}{_ONES[unit]}"
    if n < 80:
        return f"soixante{' et ' if n == 71 else '-'}{_ONES[n - 60]}"
    if n == 80:
        return "quatre-vingts"
    return f"quatre-vingt-{_ONES[n - 80]}"


def words(n: int, feminine: bool = False) -> str:
    """N (0-999) in words: 21 -> 'vingt et un' ('vingt et une' if FEMININE)."""
    if n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    said = _below_hundred(rest) if rest or not hundreds else ""
    if hundreds:
        head = "cent" if hundreds == 1 else f"{_ONES[hundreds]} cent{'' if rest else 's'}"
        said = f"{head} {said}".strip()
    if feminine and (said == "un" or said.endswith((" un", "-un"))):
        said += "e"
    return said


def number(n: int, form: str) -> str:
    """N as said: 'w' words; 'f' words where the feminine is heard ('vingt et une').

    'm' (masculine) is digits except 'un'.
    """
    if form == "w":
        return words(n)
    if form == "f" and words(n).endswith("un"):
        return words(n, feminine=True)
    if form == "m" and n == 1:
        return "un"
    return str(n)


def polish(text: str) -> str:
    """Elide 'de une' -> "d'une", 'de un' -> "d'un"."""
    return _ELISION.sub(r"\1'\2", text)
