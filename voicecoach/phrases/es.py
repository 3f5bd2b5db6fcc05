"""Spanish (español, Spain) phrases.

Register: "tú". Physiotherapists in Spain address patients as "tú" in treatment and
in home-exercise guidance ("Túmbate boca arriba", "Aguanta"); "usted" would sound
distant. Sides: "el lado izquierdo" / "el lado derecho". Numbers are digits (every
engine reads them in Spanish) except where the form is heard: one and the numbers
ending in one are words before a noun ("un minuto", "veintiún segundos", "una
serie", "veintiuna repeticiones"), and so are the hundreds before a feminine noun
("doscientas repeticiones"). "y" becomes "e" before an i-sound ("esterilla e hilo").
"""

from __future__ import annotations

import re
from types import MappingProxyType

PHRASES = MappingProxyType(
    {
        "chapter_intro": "Introducción",
        "chapter_outro": "Final",
        "intro_title": "{title}.",
        "intro_length": "Esta sesión dura unos {minutes:m} minutos.",
        "intro_length_one": "Esta sesión dura alrededor de un minuto.",
        "intro_exercises": "Vamos a hacer {n:m} ejercicios.",
        "intro_exercises_one": "Vamos a hacer un solo ejercicio.",
        "intro_equipment": "Vas a necesitar: {items}.",
        "intro_begin": "Empezamos.",
        "exercise_of": "Ejercicio {number} de {total}: {name}.",
        "exercise_only": "{name}.",
        "setup_heading": "Posición inicial.",
        "caution": "Cuidado: {text}",
        "cues_heading": "El movimiento.",
        "dose_reps": "{sets:f} series de {reps}.",
        "dose_reps_one": "Una serie de {reps}.",
        "dose_holds": "{sets:f} series de {reps}, aguantando {hold} cada vez.",
        "dose_holds_one": "Una serie de {reps}, aguantando {hold} cada vez.",
        "dose_work": "Aguanta {work}, {sets} veces.",
        "dose_work_one": "Aguanta {work}.",
        "reps": "{n:f} repeticiones",
        "reps_one": "una repetición",
        "holds": "{n:f} repeticiones",
        "holds_one": "una repetición",
        "dose_each_side": "Por cada lado.",
        "dose_alternating": "Cambias de lado en cada serie.",
        "tempo": "{up} para {up_word} y {down} para {down_word}.",
        "tempo_hold": "{up} para {up_word}, aguanta {hold} y luego {down} para {down_word}.",
        "tones_hint": "Sigue los pitidos: cada uno marca la siguiente fase del movimiento.",
        "side_first": "Empieza por {label}.",
        "side_change": "Cambia de lado. Ahora {label}.",
        "set_of": "Serie {n} de {total}.",
        "set_last": "Última serie.",
        "get_ready": "Prepárate.",
        "rep": "{n}",
        "rep_last": "Y la última.",
        "halfway": "Ya vas por la mitad.",
        "hold_start": "Aguanta.",
        "hold_left": "Quedan {seconds} segundos.",
        "relax_count": "Y suelta. Llevas {n:f}.",
        "relax_count_one": "Y suelta. Llevas una.",
        "relax": "Suelta.",
        "work_left": "Quedan {seconds} segundos.",
        "countdown": "{n}",
        "stop": "Y para.",
        "rest": "{duration} de descanso.",
        "next_set": "Después: serie {n} de {total}.",
        "next_last_set": "Después: la última serie.",
        "next_side_set": "Después: {label}, serie {n} de {total}.",
        "next_side_last_set": "Después: {label}, la última serie.",
        "rest_left": "Quedan {seconds} segundos.",
        "exercise_done": "Muy bien.",
        "outro": "Hemos terminado la sesión. Muy bien hecho, y hasta la próxima.",
        "side_left": "izquierdo",
        "side_right": "derecho",
        "seconds": "{n:m} segundos",
        "seconds_one": "un segundo",
        "seconds_half": "{n:m} segundos y medio",
        "seconds_half_one": "un segundo y medio",
        "half_second": "medio segundo",
        "minutes": "{n:m} minutos",
        "minutes_one": "un minuto",
        "minutes_half": "{n:m} minutos y medio",
        "minutes_half_one": "un minuto y medio",
        "minutes_seconds": "{m} y {n:m} segundos",
        "minutes_seconds_one": "{m} y un segundo",
        "list_last": "{items} y {last}",
        "page_exercise_of": "Ejercicio {number} de {total}",
        "page_set_of": "Serie {n} de {total}",
        "page_rep_of": "Repetición {n} de {total}",
        "page_hold_of": "Repetición {n} de {total}",
        "page_side_left": "Lado izquierdo",
        "page_side_right": "Lado derecho",
        "page_briefing": "Colócate en posición",
        "page_get_ready": "Prepárate",
        "page_rest": "Descanso",
        "page_sides": "Cambia de lado",
        "page_hold": "Mantén",
        "page_relax": "Relaja",
        "page_work": "Sigue así",
        "page_done": "Bien hecho",
        "page_seconds_left": "segundos restantes",
        "page_seconds_left_one": "segundo restante",
        "page_next_up": "A continuación: {what}",
        "page_time_left": "quedan {time}",
        "page_exercise_time": "Este ejercicio",
        "page_session_time": "Sesión",
        "page_now_saying": "Ahora mismo",
        "page_play": "Reproducir",
        "page_pause": "Pausar",
        "page_previous": "Ejercicio anterior",
        "page_next": "Ejercicio siguiente",
        "page_position": "Posición en la sesión",
        "page_exercises": "Ejercicios",
        "page_handout": "Hoja para imprimir",
        "page_download": "Descargar el audio",
        "handout_equipment": "Necesitas",
        "handout_length": "Unos {minutes} minutos",
        "handout_length_one": "Un minuto, más o menos",
        "handout_setup": "Posición inicial",
        "handout_cues": "El movimiento",
        "handout_reminders": "Recuerda",
        "handout_caution": "Cuidado",
        "handout_print": "Imprimir",
        "index_title": "Programas de ejercicios",
        "index_programmes": "{n} programas",
        "index_programmes_one": "Un programa",
        "index_total": "{time} en total",
        "index_playlist": "Lista de reproducción",
        "index_open": "Abrir el reproductor",
        "index_empty": "Todavía no hay programas.",
        # issue 12: sides, time updates, transitions, reminders, holds
        "tempo_pause": "{up} para {up_word}, {down} para {down_word} y luego descansa {pause}.",
        "tempo_hold_pause": (
            "{up} para {up_word}, aguanta {hold}, {down} para {down_word} y luego descansa {pause}."
        ),
        "dose_holds_single": "Aguanta {hold}, una vez.",
        "dose_holds_single_sets": "Aguanta {hold}, {sets} veces.",
        "dose_alternating_reps": "Cambia de lado en cada repetición; cada pareja cuenta como una.",
        "label_left": "el lado izquierdo",
        "label_right": "el lado derecho",
        "label_left_leg": "la pierna izquierda",
        "label_right_leg": "la pierna derecha",
        "label_left_arm": "el brazo izquierdo",
        "label_right_arm": "el brazo derecho",
        "label_lying_on": "sobre {side}",
        "side_word_left": "izquierdo",
        "side_word_right": "derecho",
        "side_only": "Este ejercicio es solo para {label}.",
        "side_first_lying_on": "Túmbate sobre {side}; trabaja {other}.",
        "side_only_lying_on": "Túmbate sobre {side}; trabaja {other}.",
        "side_change_lying_on": "Date la vuelta: túmbate sobre {side}; trabaja {other}.",
        "word_up": "subir",
        "word_down": "bajar",
        "reminders_heading": "Ten esto en cuenta.",
        "lead_in": "Ponte en posición.",
        "lead_in_word": "{word}.",
        "hold_after_lead_in": "Y aguanta.",
        "rest_time_left": "{duration} más.",
        "work_time_left": "{duration} más.",
        "hold_time_left": "{duration} más.",
        "next_exercise": "Después: {name}.",
        # issue 14: tones: none, la voz marca el ritmo
        "phase_word": "{word}.",
        "phase_hold": "Aguantar.",
        "phase_go": "Vamos.",
        "phases_hint": "Sigue mi voz: cada palabra marca la siguiente fase del movimiento.",
    }
)
"""Template per phrase key."""

_Y_BEFORE_I = re.compile(r"\b([yY])(?= h?[iIíÍ](?![aeoáéó]))")
_O_BEFORE_O = re.compile(r"\b([oO])(?= h?[oOóÓ])")
_ONES = [
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
]
_TENS = [
    "_",
    "_",
    "_",
    "treinta",
    "cuarenta",
    "cincuenta",
    "sesenta",
    "setenta",
    "ochenta",
    "noventa",
]
_HUNDREDS = [
    "_",
    "ciento",
    "doscientos",
    "trescientos",
    "cuatrocientos",
    "quinientos",
    "seiscientos",
    "setecientos",
    "ochocientos",
    "novecientos",
]


def words(n: int, form: str = "w") -> str:
    """N (0-999) in words; FORM 'f' feminine ('veintiuna', 'doscientas'), 'm' before a
    masculine noun ('veintiún', 'ciento un'), 'w' the plain count ('veintiuno')."""
    if n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    if rest < 30:
        said = _ONES[rest] if rest or not hundreds else ""
    else:
        tens, unit = divmod(rest, 10)
        said = _TENS[tens] + (f" y {_ONES[unit]}" if unit else "")
    if said.endswith("uno") and form in ("f", "m"):
        said = said[:-1] + "a" if form == "f" else said[:-1]
        said = "veintiún" if said == "veintiun" else said
    if hundreds:
        head = "cien" if n == 100 else _HUNDREDS[hundreds]
        if form == "f" and hundreds > 1:
            head = head[:-2] + "as"
        said = f"{head} {said}".strip()
    return said


def polish(text: str) -> str:
    """'y' before an i-sound becomes 'e' ("esterilla e hilo"), 'o' before an o-sound 'u'."""
    text = _Y_BEFORE_I.sub(lambda m: "e" if m.group(1) == "y" else "E", text)
    return _O_BEFORE_O.sub(lambda m: "u" if m.group(1) == "o" else "U", text)


def number(n: int, form: str) -> str:
    """N as said: 'w' words; 'f' / 'm' words only where the form is heard, else digits."""
    if form == "w":
        return words(n)
    if form in ("f", "m"):
        said = words(n, form)
        if said != words(n):
            return said
    return str(n)
