"""Guidance as a physiotherapist gives it (issue 12): sides, transitions, time updates,
reminders, true wording, hold lead-ins, counting and per-rep alternation."""

from __future__ import annotations

import pytest
from core_helpers import (
    check_timing_rules,
    fake_measure,
    first_speech,
    load_error,
    load_text,
    texts,
    tones,
    where,
)

from voicecoach.timeline import compile_programme


def plan(tmp_path, text, measure=fake_measure):
    programme = load_text(tmp_path, text)
    timeline = compile_programme(programme, measure)
    check_timing_rules(programme, timeline)
    return programme, timeline


def one(body: str, language: str = "en") -> str:
    """A programme of one exercise written as a flow mapping's BODY."""
    return f"title: T\nlanguage: {language}\nintro: false\nexercises:\n  - {{name: A, {body}}}\n"


# --- 1. which side, unambiguously ----------------------------------------------------


@pytest.mark.parametrize(
    ("sides", "fragment"),
    [
        ("[left, rigth]", "expected left or right (did you mean 'right'?)"),
        ("left and right", "(did you mean [left, right]?)"),
        ("[left arm, right arm]", "side_means: leg, arm or lying_on says what it is"),
        ("[front, back]", "sides: expected left or right, got 'front'"),
        ("[left, left]", "sides: expected each side once"),
        ("lef", "(did you mean 'left'?)"),
    ],
)
def test_sides_are_left_and_right_only(tmp_path, sides, fragment):
    err = load_error(
        tmp_path, f"title: T\nexercises:\n  - name: A\n    reps: 2\n    sides: {sides}\n"
    )
    assert fragment in str(err)
    line, _ = where(err)
    assert line == 5


def test_side_means_keywords_and_wordings(tmp_path):
    p = load_text(tmp_path, one("reps: 2, sides: both, side_means: lying on"))
    assert p.exercises[0].side_means == "lying_on"
    p = load_text(tmp_path, one("reps: 2, sides: both, side_means: 'your {side} arm'"))
    assert p.exercises[0].side_means == "your {side} arm"
    err = load_error(tmp_path, one("reps: 2, sides: both, side_means: legs"))
    assert "side_means: expected side, leg, arm, lying_on" in str(err)
    assert "(did you mean 'leg'?)" in str(err)
    err = load_error(tmp_path, one("reps: 2, sides: both, side_means: 'your {foot}'"))
    assert "only fields are {side} and {other}" in str(err)


def test_the_clamshell_says_which_side_to_lie_on_and_which_leg_works(tmp_path):
    _, tl = plan(tmp_path, one("reps: 2, sides: [left, right], side_means: lying_on"))
    said = texts(tl)
    assert "Lie on your left side; you work your right leg." in said
    assert "Turn over: lie on your right side; you work your left leg." in said
    assert not any(t.startswith("Start with") for t in said)


@pytest.mark.parametrize(
    ("means", "first", "change"),
    [
        ("side", "Start with your right side.", "Change sides. Now your left side."),
        ("leg", "Start with your right leg.", "Change sides. Now your left leg."),
        ("arm", "Start with your right arm.", "Change sides. Now your left arm."),
        (
            "'your {side} arm and {other} leg'",
            "Start with your right arm and left leg.",
            "Change sides. Now your left arm and right leg.",
        ),
    ],
)
def test_what_a_side_means_is_said(tmp_path, means, first, change):
    _, tl = plan(tmp_path, one(f"reps: 2, sides: [right, left], side_means: {means}"))
    assert texts(tl).count(first) == 1
    assert texts(tl).count(change) == 1


def test_dutch_side_words_inflect(tmp_path):
    _, tl = plan(tmp_path, one("reps: 2, sides: both, side_means: leg", "nl"))
    assert "Begin met je linkerbeen." in texts(tl)
    assert "Wissel van kant. Nu je rechterbeen." in texts(tl)
    _, tl = plan(tmp_path, one("reps: 2, sides: both, side_means: lying_on", "nl"))
    assert "Ga op je linkerkant liggen; je werkt met je rechterbeen." in texts(tl)


def test_a_one_sided_exercise_is_announced_as_such(tmp_path):
    _, tl = plan(tmp_path, one("reps: 2, sets: 2, sides: [right], side_means: leg"))
    said = texts(tl)
    assert said.count("This one is for your right leg only.") == 1
    assert not any("Change" in t or t.startswith("Start with") for t in said)
    assert "On each side." not in said
    assert not tones(tl, "side")
    assert {e.side for e in tones(tl, "go")} == {"right"}


# --- 2. no silence that feels like the track stopped ----------------------------------


def test_long_rests_say_the_time_left(tmp_path):
    _, tl = plan(tmp_path, one("reps: 2, sets: 2, rest: 90s"))
    go = tones(tl, "go", set=2)[0].start
    assert first_speech(tl, "One minute left.").start == pytest.approx(go - 60)
    assert first_speech(tl, "30 seconds left.").start == pytest.approx(go - 30)
    assert first_speech(tl, "10 seconds.").start == pytest.approx(go - 10)


def test_long_timed_sets_and_holds_say_the_time_left(tmp_path):
    _, tl = plan(tmp_path, one("work: 2m"))
    go = tones(tl, "go")[0].start
    for left, text in [
        (90, "A minute and a half to go."),
        (60, "One minute to go."),
        (30, "30 seconds to go."),
    ]:
        assert first_speech(tl, text).start == pytest.approx(go + 120 - left)
    assert "Halfway." not in texts(tl)  # "one minute to go" says it, and more
    _, tl = plan(tmp_path, one("reps: 1, hold: 75s"))
    held = tones(tl, "hold")[0].start
    assert first_speech(tl, "One minute to go.").start == pytest.approx(held + 15)
    assert first_speech(tl, "30 seconds to go.").start == pytest.approx(held + 45)


# --- 3. a rest between exercises ------------------------------------------------------


def test_a_transition_names_what_comes_next(tmp_path):
    text = (
        "title: T\nintro: false\nexercises:\n  - {name: Squat, reps: 2}\n"
        "  - {name: Bridge hold, reps: 2, transition: 40s}\n  - {name: Plank, work: 10s}\n"
    )
    _, tl = plan(tmp_path, text)
    end = tones(tl, "end", exercise=0)[0].start
    assert tl.chapters[1].start == pytest.approx(end + 15)  # the default
    assert texts(tl, exercise=0)[-3:] == [
        "Well done.",
        "Rest for 15 seconds.",
        "Next up: Bridge hold.",
    ]
    end = tones(tl, "end", exercise=1)[0].start
    assert tl.chapters[2].start == pytest.approx(end + 40)
    said = texts(tl, exercise=1)
    assert said[said.index("Rest for 40 seconds.") + 1] == "Next up: Plank."
    assert first_speech(tl, "30 seconds left.", exercise=1).start == pytest.approx(end + 10)
    assert not [t for t in texts(tl, exercise=2) if t.startswith("Rest")]  # none after the last


def test_a_transition_too_short_grows_and_is_said_at_its_length(tmp_path):
    text = "title: T\nexercises:\n  - {name: A, reps: 2, transition: 2s}\n  - {name: B, reps: 2}\n"
    _, tl = plan(tmp_path, text)
    rest = tl.chapters[2].start - tones(tl, "end", exercise=0)[0].start
    assert rest == int(rest) and rest > 2
    assert texts(tl, exercise=0)[-2:] == [f"Rest for {rest:g} seconds.", "Next up: B."]
    assert tl.warnings == (
        f"A: the transition to B grows from 2s to {rest:g}s to fit what is said",
    )
    _, tl = plan(tmp_path, text.replace("2s}", "0}"))
    assert not [t for t in texts(tl) if t.startswith("Rest")]


# --- 4. every reminder is said ---------------------------------------------------------

BIRD_DOG = """
title: T
intro: false
exercises:
  - name: Bird dog
    reps: 8
    tempo: 1-0-1
    reminders:
      - Keep your back flat, like a table top, all the way through the movement.
      - Look at the floor and keep your neck long and relaxed the whole time.
      - Move slowly.
"""


def test_reminders_with_no_room_in_the_sets_are_said_before_the_first_set(tmp_path):
    programme, tl = plan(tmp_path, BIRD_DOG)
    said = texts(tl)
    long_ones = programme.exercises[0].reminders[:2]
    heading = said.index("Keep in mind.")
    assert said[heading + 1 : heading + 3] == list(long_ones)
    assert heading < said.index("One set of 8 reps.")
    assert "Move slowly." in texts(tl, set=1)  # it fits the rhythm, so it stays there
    assert "Move slowly." not in said[: said.index("One set of 8 reps.")]


def test_a_reminder_tied_to_a_phase_is_said_in_that_phase_only(tmp_path):
    text = one("reps: 6, tempo: 3-1-3, reminders: [{say: Breathe out., during: up}]")
    _, tl = plan(tmp_path, text)
    said = [e for e in tl.speech() if e.text == "Breathe out."]
    assert said
    for e in said:
        up = [t for t in tones(tl) if t.tone in ("up", "go") and t.rep == e.rep]
        hold = [t for t in tones(tl, "hold") if t.rep == e.rep]
        assert up[0].start <= e.start < hold[0].start
    err = load_error(tmp_path, one("reps: 6, reminders: [{say: Breathe., during: hold}]"))
    assert "during: expected a phase of this exercise's reps: up, down" in str(err)
    err = load_error(tmp_path, one("work: 20s, reminders: [{say: Breathe., during: up}]"))
    assert "during: only goes with reps or holds" in str(err)
    err = load_error(tmp_path, one("reps: 6, reminders: [{say: Breathe., when: up}]"))
    assert "unknown key 'when' in reminders[1]" in str(err)


def test_a_reminder_that_fits_nowhere_is_a_warning_naming_it(tmp_path):
    long = "Breathe out slowly through pursed lips while you lift the leg all the way up."
    _, tl = plan(tmp_path, one(f"reps: 4, tempo: 1-0-1, reminders: [{{say: {long}, during: up}}]"))
    assert long not in texts(tl)
    assert tl.warnings == (f"A: the reminder '{long}' never fits its phase (up) and is not said",)


# --- 5. what is said is true -----------------------------------------------------------


def test_rest_zero_is_announced_at_its_real_length(tmp_path):
    _, tl = plan(tmp_path, one("reps: 2, sets: 2, rest: 0"))
    gap = tones(tl, "go", set=2)[0].start - tones(tl, "end", set=1)[0].start
    assert gap == int(gap)
    assert f"Rest for {gap:g} seconds." in texts(tl)
    assert "Rest for one second." not in texts(tl)


def test_tempo_pause_and_words_are_said(tmp_path):
    _, tl = plan(tmp_path, one("reps: 2, tempo: 2-0-3-1"))
    assert "Up for 2 seconds, down for 3 seconds, then rest for one second." in texts(tl)
    _, tl = plan(tmp_path, one("reps: 2, tempo: 2-1-3, tempo_words: [lift, lower]"))
    assert "Lift for 2 seconds, hold for one second, then lower for 3 seconds." in texts(tl)
    _, tl = plan(tmp_path, one("reps: 2, tempo: 2-0-2, tempo_words: [uit, in]", "nl"))
    assert "2 seconden uit, 2 seconden in." in texts(tl)
    err = load_error(tmp_path, one("reps: 2, tempo_words: [lift]"))
    assert "tempo_words: expected two words" in str(err)


def test_doses_read_naturally(tmp_path):
    _, tl = plan(tmp_path, one("reps: 1, hold: 1m"))
    assert "Hold for one minute, once." in texts(tl)
    _, tl = plan(tmp_path, one("reps: 1, hold: 30s, sets: 3"))
    assert "Hold for 30 seconds, 3 times." in texts(tl)
    _, tl = plan(tmp_path, one("work: 1m"))
    assert "Keep it up for one minute." in texts(tl)
    _, tl = plan(tmp_path, one("work: 20s, sets: 2"))
    assert "Keep it up for 20 seconds, 2 times." in texts(tl)


# --- 6. holds start from position -------------------------------------------------------


def test_a_hold_starts_with_a_lead_in_so_the_hold_is_the_prescribed_time(tmp_path):
    text = one("reps: 2, hold: 10s, relax: 4s, lead_in: 3s, tempo_words: [lift, lower]")
    _, tl = plan(tmp_path, text)
    go = tones(tl, "go")[0].start
    assert first_speech(tl, "Lift.", rep=1).start == pytest.approx(go)
    held = tones(tl, "hold", rep=1)[0].start
    assert held == pytest.approx(go + 3)
    assert first_speech(tl, "And hold.", rep=1).start == pytest.approx(held)
    assert tones(tl, "down", rep=1)[0].start == pytest.approx(held + 10)
    assert tones(tl, "up", rep=2)[0].start == pytest.approx(go + 17)
    err = load_error(tmp_path, one("work: 20s, lead_in: 2s"))
    assert "lead_in: cannot be combined with 'work'" in str(err)


# --- 7. counting -------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "offset"), [("start", 0), ("top", 2), ("end", 6)])
def test_count_says_the_rep_number_when_asked(tmp_path, count, offset):
    _, tl = plan(tmp_path, one(f"reps: 8, tempo: 2-1-3-2, count: {count}"))
    for rep in range(1, 8):
        onset = tones(tl, rep=rep)[0].start
        assert first_speech(tl, str(rep), rep=rep).start == pytest.approx(onset + offset)
    last = first_speech(tl, "Last one.")
    assert last.start == pytest.approx(tones(tl, rep=8)[0].start)


def test_the_default_count_is_when_the_rep_is_done(tmp_path):
    programme, tl = plan(tmp_path, one("reps: 3, tempo: 2-1-3"))
    assert programme.exercises[0].count == "end"
    err = load_error(tmp_path, one("reps: 3, count: middle"))
    assert "count: expected start, top or end" in str(err)


# --- 8. per-rep alternation --------------------------------------------------------------


def test_sides_can_alternate_every_rep_counted_per_pair(tmp_path):
    text = one("reps: 4, sets: 2, tempo: 2-1-2, sides: both, alternate_sides: reps, rest: 20s")
    _, tl = plan(tmp_path, text)
    moves = [e for e in tones(tl) if e.tone in ("go", "up") and e.set == 1]
    assert [(e.side, e.rep) for e in moves] == [
        (side, rep) for rep in (1, 2, 3, 4) for side in ("left", "right")
    ]
    counts = [e for e in tl.speech() if e.text.isdigit() and e.set == 1 and e.rep]
    assert [e.text for e in counts] == ["1", "2", "3", "4"]
    said = texts(tl)
    assert said.count("Change sides every rep; each pair counts as one.") == 1
    assert said.count("Start with your left side.") == 1
    assert not any(t.startswith("Change sides. Now") for t in said)
    err = load_error(tmp_path, one("work: 20s, sides: both, alternate_sides: reps"))
    assert "alternate_sides: reps needs a dose of reps" in str(err)
