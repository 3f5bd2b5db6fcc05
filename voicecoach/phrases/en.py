"""English phrases.

Register: plain "you" and short imperatives. Numbers are digits (every engine reads
them) except "one", so a count is never "1 minutes".
"""

from __future__ import annotations

from types import MappingProxyType

PHRASES = MappingProxyType(
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
        "dose_reps": "{sets} sets of {reps}.",
        "dose_reps_one": "One set of {reps}.",
        "dose_holds": "{sets} sets of {reps}, {hold} each.",
        "dose_holds_one": "One set of {reps}, {hold} each.",
        "dose_work": "Keep it up for {work}, {sets} times.",
        "dose_work_one": "Keep it up for {work}.",
        "reps": "{n} reps",
        "reps_one": "one rep",
        "holds": "{n} holds",
        "holds_one": "one hold",
        "dose_each_side": "On each side.",
        "dose_alternating": "Alternating sides.",
        "tempo": "{up_word} for {up}, {down_word} for {down}.",
        "tempo_hold": "{up_word} for {up}, hold for {hold}, then {down_word} for {down}.",
        "tones_hint": "Follow the tones: each one starts the next part of the movement.",
        "side_first": "Start with {label}.",
        "side_change": "Change sides. Now {label}.",
        "set_of": "Set {n} of {total}.",
        "set_last": "Last set.",
        "get_ready": "Get ready.",
        "rep": "{n}",
        "rep_last": "Last one.",
        "halfway": "Halfway.",
        "hold_start": "Hold.",
        "hold_left": "{seconds} more seconds.",
        "relax_count": "And relax. That's {n}.",
        "relax_count_one": "And relax. That's one.",
        "relax": "Relax.",
        "work_left": "{seconds} seconds to go.",
        "countdown": "{n}",
        "stop": "And stop.",
        "rest": "Rest for {duration}.",
        "next_set": "Next: set {n} of {total}.",
        "next_last_set": "Next: the last set.",
        "next_side_set": "Next: {label}, set {n} of {total}.",
        "next_side_last_set": "Next: {label}, the last set.",
        "rest_left": "{seconds} seconds.",
        "exercise_done": "Well done.",
        "outro": "That's the end of the session. Well done, and see you next time.",
        "side_left": "left",
        "side_right": "right",
        "seconds": "{n} seconds",
        "seconds_one": "one second",
        "seconds_half": "{n} and a half seconds",
        "seconds_half_one": "one and a half seconds",
        "half_second": "half a second",
        "minutes": "{n} minutes",
        "minutes_one": "one minute",
        "minutes_half": "{n} and a half minutes",
        "minutes_half_one": "a minute and a half",
        "minutes_seconds": "{m} and {n} seconds",
        "minutes_seconds_one": "{m} and one second",
        "list_last": "{items} and {last}",
        "page_exercise_of": "Exercise {number} of {total}",
        "page_set_of": "Set {n} of {total}",
        "page_rep_of": "Rep {n} of {total}",
        "page_hold_of": "Hold {n} of {total}",
        "page_side_left": "Left side",
        "page_side_right": "Right side",
        "page_briefing": "Get into position",
        "page_get_ready": "Get ready",
        "page_rest": "Rest",
        "page_sides": "Change sides",
        "page_hold": "Hold",
        "page_relax": "Relax",
        "page_work": "Keep going",
        "page_done": "Well done",
        "page_seconds_left": "seconds left",
        "page_seconds_left_one": "second left",
        "page_next_up": "Next: {what}",
        "page_time_left": "{time} left",
        "page_exercise_time": "This exercise",
        "page_session_time": "Session",
        "page_now_saying": "Now saying",
        "page_play": "Play",
        "page_pause": "Pause",
        "page_previous": "Previous exercise",
        "page_next": "Next exercise",
        "page_position": "Position in the session",
        "page_exercises": "Exercises",
        "page_handout": "Printable handout",
        "page_download": "Download the track",
        "handout_equipment": "You will need",
        "handout_length": "About {minutes} minutes",
        "handout_length_one": "About one minute",
        "handout_setup": "Starting position",
        "handout_cues": "The movement",
        "handout_reminders": "Remember",
        "handout_caution": "Take care",
        "handout_print": "Print",
        "index_title": "Exercise programmes",
        "index_programmes": "{n} programmes",
        "index_programmes_one": "One programme",
        "index_total": "{time} in all",
        "index_playlist": "Playlist",
        "index_open": "Open the player",
        "index_empty": "No programmes yet.",
        # issue 12: sides, time updates, transitions, reminders, holds
        "tempo_pause": "{up_word} for {up}, {down_word} for {down}, then rest for {pause}.",
        "tempo_hold_pause": (
            "{up_word} for {up}, hold for {hold}, {down_word} for {down}, then rest for {pause}."
        ),
        "dose_holds_single": "Hold for {hold}, once.",
        "dose_holds_single_sets": "Hold for {hold}, {sets} times.",
        "dose_alternating_reps": "Change sides every rep; each pair counts as one.",
        "label_left": "your left side",
        "label_right": "your right side",
        "label_left_leg": "your left leg",
        "label_right_leg": "your right leg",
        "label_left_arm": "your left arm",
        "label_right_arm": "your right arm",
        "label_lying_on": "lying on {side}",
        "side_word_left": "left",
        "side_word_right": "right",
        "side_only": "This one is for {label} only.",
        "side_first_lying_on": "Lie on {side}; you work {other}.",
        "side_only_lying_on": "Lie on {side}; you work {other}.",
        "side_change_lying_on": "Turn over: lie on {side}; you work {other}.",
        "word_up": "up",
        "word_down": "down",
        "reminders_heading": "Keep in mind.",
        "lead_in": "Into position.",
        "lead_in_word": "{word}.",
        "hold_after_lead_in": "And hold.",
        "rest_time_left": "{duration} left.",
        "work_time_left": "{duration} to go.",
        "hold_time_left": "{duration} to go.",
        "next_exercise": "Next up: {name}.",
        # issue 14: tones: none, the voice carries the rhythm
        "phase_word": "{word}.",
        "phase_hold": "Hold.",
        "phase_go": "Go.",
        "phases_hint": "Follow my voice: each word starts the next part of the movement.",
    }
)
"""Template per phrase key."""

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def words(n: int) -> str:
    """N (0-999) in words: 21 -> 'twenty-one'; digits from 1000 on."""
    if n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    head = f"{_ONES[hundreds]} hundred" if hundreds else ""
    if rest == 0:
        return head or _ONES[0]
    tens, unit = divmod(rest, 10)
    said = _ONES[rest] if rest < 20 else _TENS[tens] + (f"-{_ONES[unit]}" if unit else "")
    return f"{head} and {said}" if head else said


def number(n: int, form: str) -> str:
    """N as said: 'w' words; 'f' / 'm' (before a noun) digits, except 'one'."""
    if form == "w":
        return words(n)
    if form in ("f", "m") and n == 1:
        return "one"
    return str(n)
