"""Phrase packs: parity across languages, natural numbers and durations, nothing English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from core_helpers import EXAMPLES, compile_text, fake_measure
from hypothesis import given
from hypothesis import strategies as st

from voicecoach.phrases import (
    LANGUAGES,
    NUMBER_FIELDS,
    NUMBER_FORMS,
    REFERENCE,
    PhraseBook,
    override_problem,
    placeholders,
)
from voicecoach.script import load_programme
from voicecoach.timeline import compile_programme

PACKS = sorted(LANGUAGES)
OTHERS = [code for code in PACKS if code != REFERENCE]


def sample_fields(template: str, n: int = 3) -> dict[str, object]:
    """A value for every placeholder of TEMPLATE: N for numbers, a word otherwise."""
    return {name: n if name in NUMBER_FIELDS else "X" for name in placeholders(template)}


# --- parity -------------------------------------------------------------------------


@pytest.mark.parametrize("code", OTHERS)
def test_every_pack_has_exactly_the_reference_keys(code):
    keys, reference = set(LANGUAGES[code].table), set(LANGUAGES[REFERENCE].table)
    assert not reference - keys, f"{code} lacks {sorted(reference - keys)}"
    assert not keys - reference, f"{code} has keys {REFERENCE} lacks: {sorted(keys - reference)}"


@pytest.mark.parametrize("code", OTHERS)
def test_every_key_has_the_same_placeholders_in_every_pack(code):
    reference = LANGUAGES[REFERENCE].table
    for key, template in LANGUAGES[code].table.items():
        assert set(placeholders(template)) == set(placeholders(reference[key])), (code, key)


@pytest.mark.parametrize("code", PACKS)
def test_every_template_formats_and_forms_go_only_on_numbers(code):
    book = PhraseBook.for_language(code)
    for key, template in book.pack.table.items():
        for name, forms in placeholders(template).items():
            assert forms <= set(NUMBER_FORMS), (code, key, name, forms)
            assert forms == {""} or name in NUMBER_FIELDS, (code, key, name, forms)
        for n in (1, 2, 21, 200):
            text = book.part(key, **sample_fields(template, n))
            assert text.strip() and "{" not in text and "}" not in text, (code, key, text)


@pytest.mark.parametrize("code", PACKS)
def test_a_one_form_exists_only_beside_its_plain_key(code):
    table = LANGUAGES[code].table
    for key in table:
        if key.endswith("_one"):
            assert key.removesuffix("_one") in table, (code, key)


# --- numbers and durations -----------------------------------------------------------

DURATIONS = {
    # seconds: en, nl, de, fr, es
    1: ("one second", "één seconde", "eine Sekunde", "une seconde", "un segundo"),
    2: ("2 seconds", "2 seconden", "2 Sekunden", "2 secondes", "2 segundos"),
    21: ("21 seconds", "21 seconden", "21 Sekunden", "vingt et une secondes", "veintiún segundos"),
    60: ("one minute", "één minuut", "eine Minute", "une minute", "un minuto"),
    90: (
        "a minute and a half",
        "anderhalve minuut",
        "eineinhalb Minuten",
        "une minute trente",
        "un minuto y medio",
    ),
    120: ("2 minutes", "2 minuten", "2 Minuten", "2 minutes", "2 minutos"),
    150: (
        "2 and a half minutes",
        "2 en een halve minuut",
        "zweieinhalb Minuten",
        "2 minutes trente",
        "2 minutos y medio",
    ),
    75: (
        "one minute and 15 seconds",
        "één minuut en 15 seconden",
        "eine Minute und 15 Sekunden",
        "une minute 15",
        "un minuto y 15 segundos",
    ),
    1.5: (
        "one and a half seconds",
        "anderhalve seconde",
        "eineinhalb Sekunden",
        "une seconde et demie",
        "un segundo y medio",
    ),
    2.5: (
        "2 and a half seconds",
        "2 en een halve seconde",
        "zweieinhalb Sekunden",
        "2 secondes et demie",
        "2 segundos y medio",
    ),
    0.5: (
        "half a second",
        "een halve seconde",
        "eine halbe Sekunde",
        "une demi-seconde",
        "medio segundo",
    ),
}
ORDER = ("en", "nl", "de", "fr", "es")


@pytest.mark.parametrize("seconds", sorted(DURATIONS))
@pytest.mark.parametrize("code", ORDER)
def test_durations_are_said_naturally(code, seconds):
    said = DURATIONS[seconds][ORDER.index(code)]
    assert PhraseBook.for_language(code).duration(seconds) == said


def test_ninety_seconds_and_one_minute_thirty_are_said_alike():
    for code in ORDER:
        book = PhraseBook.for_language(code)
        assert book.duration(90) == book.duration(60 + 30) == book.duration(89.6)


COUNTS = {
    # (key, n): en, nl, de, fr, es
    ("reps", 1): (
        "one rep",
        "één herhaling",
        "eine Wiederholung",
        "une répétition",
        "una repetición",
    ),
    ("reps", 2): ("2 reps", "2 herhalingen", "2 Wiederholungen", "2 répétitions", "2 repeticiones"),
    ("reps", 21): (
        "21 reps",
        "21 herhalingen",
        "21 Wiederholungen",
        "vingt et une répétitions",
        "veintiuna repeticiones",
    ),
    ("reps", 200): (
        "200 reps",
        "200 herhalingen",
        "200 Wiederholungen",
        "200 répétitions",
        "doscientas repeticiones",
    ),
    ("holds", 1): ("one hold", "één keer", "einmal", "un maintien", "una repetición"),
    ("holds", 21): ("21 holds", "21 keer", "21 Mal", "21 maintiens", "veintiuna repeticiones"),
}


@pytest.mark.parametrize("key_n", sorted(COUNTS))
@pytest.mark.parametrize("code", ORDER)
def test_counts_agree_with_their_noun(code, key_n):
    key, n = key_n
    assert PhraseBook.for_language(code).count(key, n) == COUNTS[key_n][ORDER.index(code)]


@pytest.mark.parametrize(
    ("code", "minutes", "said"),
    [
        ("en", 1, "This session takes about one minute."),
        ("en", 21, "This session takes about 21 minutes."),
        ("de", 1, "Das Programm dauert etwa eine Minute."),
        ("fr", 21, "Cette séance dure environ vingt et une minutes."),
        ("fr", 2, "Cette séance dure environ 2 minutes."),
        ("es", 21, "Esta sesión dura unos veintiún minutos."),
        ("es", 1, "Esta sesión dura alrededor de un minuto."),
        ("nl", 1, "Deze sessie duurt ongeveer een minuut."),
    ],
)
def test_the_session_length_agrees(code, minutes, said):
    book = PhraseBook.for_language(code)
    assert book.say("intro_length", count=minutes, minutes=minutes) == said


@pytest.mark.parametrize(
    ("code", "n", "said"),
    [
        ("en", 1, "And relax. That's one."),
        ("en", 4, "And relax. That's 4."),
        ("nl", 1, "Laat maar los. Dat was er één."),
        ("nl", 4, "Laat maar los. Dat waren er 4."),
        ("de", 1, "Und locker lassen. Das war die erste."),
        ("fr", 1, "Relâchez. Et d'une."),
        ("fr", 21, "Relâchez. Et de vingt et une."),
        ("es", 21, "Y suelta. Llevas veintiuna."),
    ],
)
def test_the_hold_count_is_said_naturally(code, n, said):
    assert PhraseBook.for_language(code).say("relax_count", count=n, n=n) == said


@pytest.mark.parametrize(
    ("code", "n", "words"),
    [
        ("en", 21, "twenty-one"),
        ("en", 105, "one hundred and five"),
        ("nl", 22, "tweeëntwintig"),
        ("nl", 21, "eenentwintig"),
        ("nl", 101, "honderdeen"),
        ("de", 21, "einundzwanzig"),
        ("de", 2, "zwei"),
        ("de", 170, "einhundertsiebzig"),
        ("fr", 71, "soixante et onze"),
        ("fr", 80, "quatre-vingts"),
        ("fr", 81, "quatre-vingt-un"),
        ("fr", 200, "deux cents"),
        ("fr", 201, "deux cent un"),
        ("es", 16, "dieciséis"),
        ("es", 31, "treinta y uno"),
        ("es", 100, "cien"),
        ("es", 115, "ciento quince"),
    ],
)
def test_numbers_in_words(code, n, words):
    assert LANGUAGES[code].number(n, "w") == words


def test_gendered_forms_are_words_only_where_the_agreement_is_heard():
    fr, es = LANGUAGES["fr"].number, LANGUAGES["es"].number
    assert [fr(n, "f") for n in (1, 2, 11, 21, 71, 81, 91, 101)] == [
        "une",
        "2",
        "11",
        "vingt et une",
        "71",
        "quatre-vingt-une",
        "91",
        "cent une",
    ]
    assert [fr(n, "m") for n in (1, 21)] == ["un", "21"]
    assert [es(n, "m") for n in (1, 2, 11, 21, 31, 121)] == [
        "un",
        "2",
        "11",
        "veintiún",
        "treinta y un",
        "ciento veintiún",
    ]
    assert [es(n, "f") for n in (1, 21, 100, 200, 300)] == [
        "una",
        "veintiuna",
        "100",
        "doscientas",
        "trescientas",
    ]


@given(
    code=st.sampled_from(PACKS),
    seconds=st.floats(min_value=0.25, max_value=30 * 60, allow_nan=False),
)
def test_no_duration_says_one_with_a_plural_or_a_raw_fraction(code, seconds):
    said = PhraseBook.for_language(code).duration(seconds)
    assert said and "{" not in said
    assert not re.search(r"(^|\s)1 \w", said), said  # "1 minutes", "1 Minute": a word instead
    assert not re.search(r"\d[.,]\d", said), said  # "2.5 seconds": said as a half instead


def test_a_sentence_begins_with_a_capital_but_the_programme_words_stay_as_written():
    de = PhraseBook.for_language("de")
    assert de.say("rest", duration=de.duration(90)) == "Eineinhalb Minuten Pause."
    assert de.say("exercise_only", name="iPad-Dehnung") == "iPad-Dehnung."
    fr = PhraseBook.for_language("fr")
    assert fr.say("rest", duration=fr.duration(60)) == "Une minute de repos."
    assert fr.say("dose_reps", count=1, reps=fr.count("reps", 1)) == "Une série d'une répétition."


# --- nothing English in what de, fr and es say ----------------------------------------

ENGLISH = frozenset(
    re.findall(
        r"\S+",
        """
    about after again alternating and begin breathe care change down each end exercise
    exercises finish follow get go half halfway has hold holds into it last left let's
    more movement need next now of one part ready relax rep reps rest right second seconds
    session set sets side sides start starting starts take takes that's the this time
    to tones up well will with you your done
    keep going play printable handout remember print playlist yet
    """,
    )
)

WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
"""Words with their letters (accents included) and inner apostrophes ("d'une")."""

PROGRAMMES = {
    "de": ("Rücken", ["Matte", "Band"], ["Brücke", "Seitstütz", "Dehnung", "Kniebeuge"]),
    "fr": ("Dos", ["tapis", "élastique"], ["Pont", "Gainage", "Étirement", "Squat"]),
    "es": ("Espalda", ["esterilla", "goma"], ["Puente", "Plancha", "Estiramiento", "Sentadilla"]),
}


def every_generated_line(code: str, tmp_path) -> list[str]:
    """Every line a programme in CODE says that voicecoach made (every dose kind, sides,
    alternating, long and short rests, halves, holds counted past one)."""
    title, (mat, band), (bridge, plank, stretch, squat) = PROGRAMMES[code]
    text = f"""
title: {title}
language: {code}
exercises:
  - name: {bridge}
    equipment: [{mat}]
    setup: [{title}]
    cues: [{title}]
    caution: {title}
    sides: both
    sets: 2
    reps: 21
    tempo: 1.5-1-2.5
    rest: 90s
    side_rest: 12s
  - name: {plank}
    equipment: [{band}]
    work: 1m15s
    sets: 2
    rest: 21
  - name: {stretch}
    reps: 3
    hold: 45s
    sides: [left, right]
    alternate_sides: true
    sets: 3
    rest: 2m
  - name: {squat}
    reps: 1
    hold: 0.5
    sets: 1
"""
    own = {title, mat, band, bridge, plank, stretch, squat}
    timeline = compile_text(tmp_path, text)
    return [e.text for e in timeline.speech() if e.text not in own]


@pytest.mark.parametrize("code", ["de", "fr", "es"])
def test_nothing_english_in_the_generated_lines(code, tmp_path):
    lines = every_generated_line(code, tmp_path)
    assert len(set(lines)) > 30
    for line in lines:
        words = set(WORDS.findall(line.lower()))
        assert not words & ENGLISH, (line, words & ENGLISH)


@pytest.mark.parametrize("code", ["de", "fr", "es"])
def test_nothing_english_in_any_template(code):
    book = PhraseBook.for_language(code)
    for key, template in book.pack.table.items():
        for n in (1, 2, 21):
            line = book.say(key, count=n, **sample_fields(template, n)).replace("X", "")
            words = set(WORDS.findall(line.lower()))
            assert not words & ENGLISH, (code, key, line)


def test_the_english_word_list_does_catch_english():
    """The scan is not vacuous: it flags nearly every English sentence with words."""
    book = PhraseBook.for_language("en")
    caught = [
        key
        for key, template in book.pack.table.items()
        if set(WORDS.findall(book.part(key, **sample_fields(template)).lower())) & ENGLISH
    ]
    worded = [k for k, t in book.pack.table.items() if re.search(r"[a-z]{2}", t.lower())]
    assert len(caught) >= len(worded) * 0.9, sorted(set(worded) - set(caught))


# --- checking a programme's own wording -----------------------------------------------


@pytest.mark.parametrize(
    ("key", "template", "problem"),
    [
        ("rest", "Breathe out for {duration}.", None),
        ("rest", "Pause: {duration}, then {duration} again.", None),
        ("reps", "{n:w} times", None),
        ("rest_lenght", "x", "unknown phrase key 'rest_lenght' (did you mean 'rest_left'?)"),
        ("zzz", "x", "unknown phrase key 'zzz'; `voicecoach phrases --keys` lists them"),
        (
            "rest",
            "Rest for {durration}.",
            "unknown placeholder {durration}; 'rest' takes {duration}",
        ),
        ("rest", "Rest a while.", "missing placeholder {duration}; 'rest' takes {duration}"),
        ("set_of", "Set {n}.", "missing placeholder {total}; 'set_of' takes {n}, {total}"),
        ("rest", "Rest {duration", "expected '}' before end of string"),
        ("rest", "Rest {duration!r}", "{duration!r}: write the placeholder as {duration}"),
        ("rest", "Rest {duration.x}", "{duration.x} is not a placeholder name"),
        ("rest", "Rest {duration:f}", "{duration:f}: only a number takes a form"),
        ("set_of", "Set {n:.2f} of {total}", "{n:.2f}: a number's form is w (words), f or m"),
        ("outro", "Bye.", None),
    ],
)
def test_an_override_is_checked_against_the_key(key, template, problem):
    found = override_problem(key, template)
    assert (found is None) if problem is None else (problem in (found or "")), found


def test_an_exercise_cannot_reword_what_is_said_outside_it():
    assert "said outside the exercises" in override_problem("outro", "Bye.", in_exercise=True)
    assert override_problem("rest", "{duration} off.", in_exercise=True) is None


def test_overrides_replace_the_pack_and_keep_its_numbers():
    book = PhraseBook.for_language("fr").with_overrides({"rest": "Pause de {duration}."})
    assert book.say("rest", duration=book.duration(60)) == "Pause d'une minute."
    assert book.with_overrides({}) is book
    assert PhraseBook.for_language("fr").say("rest", duration="x") == "X de repos."


def test_spanish_y_and_o_change_before_the_same_sound():
    es = PhraseBook.for_language("es")
    assert es.items(["una esterilla", "hilo"]) == "una esterilla e hilo"
    assert es.items(["una goma", "hielo"]) == "una goma y hielo"  # 'hie' is a consonant sound
    assert es.say("caution", text="Uno o otro.") == "Cuidado: Uno u otro."
    assert es.say("caution", text="Hoy intenta.") == "Cuidado: Hoy intenta."


def test_every_key_the_compiler_names_is_in_the_packs():
    """Every literal on a line of timeline/ that uses the book or sets a key is a pack key."""
    folder = Path(__file__).parent.parent / "voicecoach" / "timeline"
    named = {
        literal
        for path in sorted(folder.glob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if "book" in line or re.search(r'\w*key = "', line)
        for literal in re.findall(r'"([a-z]+(?:_[a-z]+)*)"', line)
    }
    assert len(named) > 30
    for code in PACKS:
        assert named <= set(LANGUAGES[code].table), (code, named - set(LANGUAGES[code].table))


@pytest.mark.parametrize("code", ["de", "fr", "es"])
def test_the_bundled_example_in_each_language_says_nothing_english(code):
    (path,) = EXAMPLES.glob(f"*.{code}.yaml")
    programme = load_programme(path)
    assert programme.language == code
    for event in compile_programme(programme, fake_measure).speech():
        assert not set(WORDS.findall(event.text.lower())) & ENGLISH, event.text
