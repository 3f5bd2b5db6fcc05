"""The compiler, by example: what a physiotherapist would say, and when."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from core_helpers import (
    check_timing_rules,
    fake_measure,
    first_speech,
    intro_minutes,
    linear_measure,
    load_text,
    texts,
    tones,
    write_yaml,
)

from voicecoach import pipeline
from voicecoach.audio.sidecars import timeline_json_text
from voicecoach.errors import LimitError
from voicecoach.phrases import PhraseBook
from voicecoach.script import load_programme
from voicecoach.timeline import compile_programme
from voicecoach.timeline.checks import TimelineRuleBroken, check_timeline
from voicecoach.timeline.tone_lengths import TONE_LENGTHS

TWO = """
    title: Knee programme
    exercises:
      - name: Squat
        equipment: [chair]
        reps: 3
      - name: Lunge
        equipment: [mat, chair]
        reps: 3
"""

CLAM = """
    title: Hips
    exercises:
      - name: Clamshell
        equipment: [mat]
        setup: [Lie on your side., Bend your knees.]
        caution: Stop if it hurts.
        cues: [Lift the top knee., Lower slowly.]
        reminders: [Pelvis still., Breathe., Slow down.]
        sides: [left, right]
        sets: 3
        reps: 8
        tempo: 2-1-3-1
        rest: 30s
        side_rest: 15s
        countdown: 3
"""


def compile_yaml(tmp_path, text, measure=fake_measure):
    programme = load_text(tmp_path, text)
    timeline = compile_programme(programme, measure)
    check_timing_rules(programme, timeline)
    return programme, timeline


def test_intro_says_title_length_count_and_equipment(tmp_path):
    _, tl = compile_yaml(tmp_path, TWO)
    intro = texts(tl, exercise=None)[:5]
    minutes = intro_minutes(tl)
    length = (
        "This session takes about one minute."
        if minutes == 1
        else f"This session takes about {minutes} minutes."
    )
    assert intro == [
        "Knee programme.",
        length,
        "It has 2 exercises.",
        "You will need: chair and mat.",
        "Let's begin.",
    ]
    assert tl.speech()[0].start == 0.5


def test_intro_length_in_minutes_matches_the_duration(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    assert tl.duration > 5 * 60  # long enough that the minutes are a real number
    said = [t for t in texts(tl) if t.startswith("This session takes about")]
    assert said == [f"This session takes about {round(tl.duration / 60)} minutes."]


def test_intro_length_starting_from_its_minutes_measures_no_other_length(tmp_path):
    programme, plain = compile_yaml(tmp_path, CLAM)
    minutes = round(plain.duration / 60)
    asked = []

    def measure(text: str) -> float:
        asked.append(text)
        return fake_measure(text)

    hinted = compile_programme(programme, measure, intro_minutes=minutes)
    assert hinted == plain
    assert [t for t in set(asked) if "takes about" in t] == [
        f"This session takes about {minutes} minutes."
    ]
    asked.clear()
    compile_programme(programme, measure)  # from one minute: that line is measured too
    assert "This session takes about one minute." in asked


def test_no_intro(tmp_path):
    _, tl = compile_yaml(tmp_path, "title: T\nintro: false\nexercises: [{name: A, reps: 2}]\n")
    assert [c.title for c in tl.chapters] == ["A", "Finish"]
    assert texts(tl)[0] == "A."  # the only exercise is introduced by name alone
    assert not any("session takes" in t for t in texts(tl))


def test_single_exercise_intro_uses_the_singular(tmp_path):
    _, tl = compile_yaml(tmp_path, "title: T\nexercises: [{name: A, reps: 2}]\n")
    assert "It has one exercise." in texts(tl)
    assert not any(t.startswith("You will need") for t in texts(tl))


def test_exercise_headings_count_the_exercises(tmp_path):
    items = "\n".join(f"  - {{name: Move {i}, reps: 2}}" for i in range(1, 6))
    _, tl = compile_yaml(tmp_path, f"title: T\nexercises:\n{items}\n")
    headings = [t for t in texts(tl) if t.startswith("Exercise ")]
    assert headings == [f"Exercise {i} of 5: Move {i}." for i in range(1, 6)]
    assert first_speech(tl, "Exercise 2 of 5: Move 2.").exercise == 1


def test_announcements_before_the_first_set_come_in_order(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    before_first_set = texts(tl, exercise=0, set=None)
    assert before_first_set[:11] == [
        "Clamshell.",  # the only exercise: no "Exercise 1 of 1"
        "Starting position.",
        "Lie on your side.",
        "Bend your knees.",
        "Take care: Stop if it hurts.",
        "The movement.",
        "Lift the top knee.",
        "Lower slowly.",
        "3 sets of 8 reps.",
        "On each side.",
        "Up for 2 seconds, hold for one second, down for 3 seconds, then rest for one second.",
    ]
    first_set = texts(tl, exercise=0, side="left", set=1, rep=None)
    assert first_set[:3] == ["Start with your left side.", "Set 1 of 3.", "Get ready."]


def test_sides_all_sets_on_the_first_side_then_change(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    go = tones(tl, "go")
    assert [(e.side, e.set) for e in go] == [
        ("left", 1),
        ("left", 2),
        ("left", 3),
        ("right", 1),
        ("right", 2),
        ("right", 3),
    ]
    change = first_speech(tl, "Change sides. Now your right side.")
    assert (change.side, change.set) == ("right", 1)
    last_left_end = tones(tl, "end", side="left", set=3)[0].start
    (chime,) = tones(tl, "side")
    assert last_left_end < chime.start
    assert change.start == pytest.approx(chime.end + 0.1)  # the chime is heard first
    # side change waits side_rest (15 s), not rest (30 s)
    assert tones(tl, "go", side="right", set=1)[0].start == pytest.approx(last_left_end + 15)
    assert texts(tl, side="right", set=1, rep=None)[:2] == [
        "Change sides. Now your right side.",
        "Set 1 of 3.",
    ]


def test_rests_are_announced_with_their_length_and_what_comes_next(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    end_1 = tones(tl, "end", side="left", set=1)[0].start
    rest = texts(tl, side="left", set=2, rep=None)
    assert rest[:2] == ["Rest for 30 seconds.", "Next: set 2 of 3."]
    assert rest[2] in ("Pelvis still.", "Breathe.", "Slow down.")  # a reminder while resting
    assert rest[3:] == ["10 seconds.", "Get ready.", *("3", "2", "1")]
    assert first_speech(tl, "Rest for 30 seconds.", side="left", set=2).start == pytest.approx(
        end_1 + 0.5
    )
    go_2 = tones(tl, "go", side="left", set=2)[0].start
    assert go_2 == pytest.approx(end_1 + 30)
    assert first_speech(tl, "10 seconds.", side="left", set=2).start == pytest.approx(go_2 - 10)
    # each side's final set is "the last set"
    assert texts(tl, side="left", set=3, rep=None)[:2] == [
        "Rest for 30 seconds.",
        "Next: the last set.",
    ]
    assert texts(tl, side="right", set=3, rep=None)[:2] == [
        "Rest for 30 seconds.",
        "Next: the last set.",
    ]
    assert not tl.warnings


def test_rest_lengths_are_said_in_words(tmp_path):
    _, tl = compile_yaml(
        tmp_path, "title: T\nexercises: [{name: A, reps: 2, sets: 3, rest: 1m30s}]\n"
    )
    assert texts(tl).count("Rest for a minute and a half.") == 2
    _, tl = compile_yaml(tmp_path, "title: T\nexercises: [{name: A, reps: 2, sets: 2, rest: 2m}]\n")
    assert "Rest for 2 minutes." in texts(tl)


def test_count_in_ticks_and_numbers_before_each_set(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    for side in ("left", "right"):
        for n in (1, 2, 3):
            go = tones(tl, "go", side=side, set=n)[0].start
            ticks = [e.start for e in tones(tl, "count", side=side, set=n)]
            assert ticks == pytest.approx([go - 3, go - 2, go - 1])
            said = [e for e in tl.speech() if e.side == side and e.set == n and e.start in ticks]
            assert [e.text for e in said] == ["3", "2", "1"]
            ready = first_speech(tl, "Get ready.", side=side, set=n)
            assert ready.end <= ticks[0]


def test_no_count_in_when_countdown_is_zero(tmp_path):
    _, tl = compile_yaml(tmp_path, "title: T\nexercises: [{name: A, reps: 2, countdown: 0}]\n")
    assert not tones(tl, "count")
    ready = first_speech(tl, "Get ready.")
    assert tones(tl, "go")[0].start == pytest.approx(ready.end + 0.5)


def test_tones_for_each_tempo_phase(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    go = tones(tl, "go", side="left", set=1)[0]
    assert go.rep == 1 and go.duration == pytest.approx(TONE_LENGTHS["go"])
    start = go.start
    for rep in range(1, 9):
        onset = start + (rep - 1) * 7  # 2 up + 1 hold + 3 down + 1 pause
        rep_tones = [(e.tone, e.start) for e in tones(tl, side="left", set=1, rep=rep)]
        assert rep_tones == [
            ("go" if rep == 1 else "up", pytest.approx(onset)),
            ("hold", pytest.approx(onset + 2)),
            ("down", pytest.approx(onset + 3)),
        ]
    (end,) = tones(tl, "end", side="left", set=1)
    assert end.start == pytest.approx(start + 7 * 7 + 6)  # the last rep has no pause


def test_no_hold_tone_without_a_hold_phase(tmp_path):
    _, tl = compile_yaml(tmp_path, "title: T\nexercises: [{name: A, reps: 4, tempo: 1-0-2}]\n")
    assert not tones(tl, "hold")
    downs = [e.start - tones(tl, rep=e.rep)[0].start for e in tones(tl, "down")]
    assert downs == pytest.approx([1, 1, 1, 1])


def test_rep_numbers_last_one_and_halfway(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    set_speech = [e for e in tl.speech() if (e.side, e.set) == ("left", 1) and e.rep]
    numbers = [e for e in set_speech if e.text.isdigit()]
    assert [e.text for e in numbers] == [str(n) for n in range(1, 9)]
    for e in numbers:  # each count is said as the rep is done: lowered, before the pause
        onset = tones(tl, side="left", set=1, rep=e.rep)[0].start
        assert e.start == pytest.approx(onset + 6)
    last = first_speech(tl, "Last one.", side="left", set=1)
    assert last.rep == 8
    assert last.start == pytest.approx(tones(tl, "up", side="left", set=1, rep=8)[0].start)
    halfway = first_speech(tl, "Halfway.", side="left", set=1)
    assert halfway.rep == 5  # the 1 s pause after the 4th of 8 is too short: as the 5th starts
    fifth = tones(tl, "up", side="left", set=1, rep=5)[0]
    assert halfway.start == pytest.approx(fifth.end)
    assert halfway.start > first_speech(tl, "4", side="left", set=1).end


def test_no_halfway_in_short_sets_and_no_last_one_for_a_single_rep(tmp_path):
    _, tl = compile_yaml(
        tmp_path, "title: T\nexercises: [{name: A, reps: 5}, {name: B, reps: 1}]\n"
    )
    assert "Halfway." not in texts(tl)
    assert "Last one." in texts(tl, exercise=0)
    assert "Last one." not in texts(tl, exercise=1)


def test_reminders_rotate_through_the_sets(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    reminders = ("Pelvis still.", "Breathe.", "Slow down.")
    said = [t for t in texts(tl) if t in reminders]
    assert len(said) >= 6
    assert said[:3] == list(reminders)  # in turn while they all fit
    counts = [said.count(r) for r in reminders]
    assert max(counts) - min(counts) <= 1  # none is left out or repeated ahead of the others
    # in a set they sit in the rhythm: after a rep's opening tone, never over the next one
    in_sets = [e for e in tl.speech() if e.text in reminders and e.rep is not None]
    assert in_sets
    for e in in_sets:
        openings = [t.start for t in tones(tl) if t.tone in ("up", "go") and t.set == e.set]
        assert not any(e.start - 1e-9 <= at < e.end for at in openings)
        assert e.rep > 1  # the first rep of a set is left to the movement
    starts = [e.start for e in in_sets]
    assert all(b - a >= 15 for a, b in zip(starts, starts[1:], strict=False))


def test_hold_sets(tmp_path):
    _, tl = compile_yaml(
        tmp_path,
        "title: T\nexercises:\n  - {name: Bridge, reps: 3, hold: 10s, relax: 5s, "
        "reminders: [Squeeze.]}\n",
    )
    holds = [(e.tone, e.rep) for e in tones(tl) if e.tone in ("go", "up", "hold", "down", "end")]
    assert holds == [
        *[("go", 1), ("hold", 1), ("down", 1)],
        *[("up", 2), ("hold", 2), ("down", 2)],
        *[("up", 3), ("hold", 3), ("end", None)],
    ]
    start = tones(tl, "go")[0].start
    for rep in (1, 2, 3):
        rep_start = start + (rep - 1) * 17  # 2 s into position, 10 s hold, 5 s relax
        hold_start = rep_start + 2
        hold_end = hold_start + 10
        opening = "Into position." if rep < 3 else "Last one."
        assert first_speech(tl, opening, rep=rep).start == pytest.approx(rep_start)
        assert first_speech(tl, "And hold.", rep=rep).start == pytest.approx(hold_start)
        assert first_speech(tl, "5 more seconds.", rep=rep).start == pytest.approx(hold_end - 5)
        count = [
            e.start - hold_end for e in tl.speech() if e.rep == rep and e.text in ("3", "2", "1")
        ]
        assert count == pytest.approx([-3, -2, -1])
        if rep < 3:
            said = "one" if rep == 1 else rep
            relax = first_speech(tl, f"And relax. That's {said}.", rep=rep)
            assert relax.start == pytest.approx(hold_end)
    assert tones(tl, "end")[0].start == pytest.approx(start + 2 * 17 + 12)
    assert "One set of 3 holds, 10 seconds each." in texts(tl)


def test_long_holds_say_ten_more_seconds(tmp_path):
    _, tl = compile_yaml(tmp_path, "title: T\nexercises: [{name: A, reps: 1, hold: 40s}]\n")
    go = tones(tl, "go")[0].start
    assert first_speech(tl, "10 more seconds.").start == pytest.approx(go + 2 + 30)
    assert "Halfway." not in texts(tl)  # halfway is for timed work


def test_timed_work(tmp_path):
    _, tl = compile_yaml(
        tmp_path,
        "title: T\nexercises: [{name: Plank, work: 40s, sets: 2, rest: 20s, "
        "reminders: [Hips high., Breathe.]}]\n",
    )
    for n in (1, 2):
        go = tones(tl, "go", set=n)[0].start
        end = tones(tl, "end", set=n)[0].start
        assert end - go == pytest.approx(40)
        assert first_speech(tl, "Halfway.", set=n).start == pytest.approx(go + 20)
        assert first_speech(tl, "10 seconds to go.", set=n).start == pytest.approx(go + 30)
        count = [e.start for e in tl.speech() if e.set == n and e.text in ("3", "2", "1")]
        assert count[-3:] == pytest.approx([end - 3, end - 2, end - 1])
        stop = first_speech(tl, "And stop.", set=n)
        assert stop.start == pytest.approx(end)
        # nothing is said between the final "1" and "And stop."
        between = [e.text for e in tl.speech() if end - 1 < e.start < end]
        assert between == []
    assert texts(tl)[texts(tl).index("Plank.") + 1] == "Keep it up for 40 seconds, 2 times."


def test_nothing_is_said_after_the_final_count_even_with_short_reminders(tmp_path):
    fast = linear_measure(0.05, 0.02)
    for dose in ("work: 20s", "reps: 2, hold: 12s"):
        _, tl = compile_yaml(
            tmp_path,
            f"title: T\nexercises: [{{name: A, {dose}, reminders: [Go., Up.]}}]\n",
            measure=fast,
        )
        end = tones(tl, "end")[0].start
        one = [e for e in tl.speech() if e.text == "1" and end - 1.01 < e.start < end][-1]
        after = [e.text for e in tl.speech() if one.start < e.start < end]
        assert after == [], after


def test_alternating_sides(tmp_path):
    _, tl = compile_yaml(
        tmp_path,
        "title: T\nexercises:\n  - {name: Plank, sides: both, alternate_sides: true, sets: 2, "
        "work: 20s, rest: 30s, side_rest: 10s}\n",
    )
    go = tones(tl, "go")
    assert [(e.side, e.set) for e in go] == [("left", 1), ("right", 1), ("left", 2), ("right", 2)]
    ends = tones(tl, "end")
    gaps = [go[i + 1].start - ends[i].start for i in range(3)]
    assert gaps == pytest.approx([10, 30, 10])  # side change, rest between rounds, side change
    assert len(tones(tl, "side")) == 2
    assert "Alternating sides." in texts(tl)
    assert "Next: your left side, the last set." in texts(tl)
    assert texts(tl).count("Last set.") == 1  # said at the change to the right side, round 2


def test_a_rest_too_short_grows_and_warns(tmp_path):
    programme, tl = compile_yaml(
        tmp_path,
        "title: T\nexercises:\n  - {name: Quick, reps: 2, sets: 2, rest: 2s}\n"
        "  - {name: Sided, reps: 2, sides: both, side_rest: 0}\n",
    )
    end = tones(tl, "end", exercise=0, set=1)[0].start
    go = tones(tl, "go", exercise=0, set=2)[0].start
    assert go - end > 2
    assert tl.warnings[0] == (
        f"Quick: the rest before set 2 grows from 2s to {go - end:g}s to fit what is said"
    )
    assert go - end == int(go - end)  # grown to a length it can say exactly
    assert f"Rest for {go - end:g} seconds." in texts(tl)
    assert tl.warnings[1].startswith("Sided: the side change before right set 1 grows from 0s to")
    assert len(tl.warnings) == 2
    # what had to fit, did: the announcement ends before the count-in starts
    ready = first_speech(tl, "Get ready.", exercise=0, set=2)
    assert ready.end <= tones(tl, "count", exercise=0, set=2)[0].start


def test_a_slow_voice_grows_rests_but_never_pushes_the_rhythm(tmp_path):
    slow = linear_measure(0.5, 0.25)
    programme, tl = compile_yaml(tmp_path, CLAM, measure=slow)
    assert tl.warnings  # a 15 s side change can't hold "Change sides..." at this pace
    assert any("side change before right set 1" in w for w in tl.warnings)


def test_chapters_tile_the_track(tmp_path):
    _, tl = compile_yaml(tmp_path, TWO)
    assert [c.title for c in tl.chapters] == ["Introduction", "Squat", "Lunge", "Finish"]
    assert tl.chapters[0].start == 0 and tl.chapters[-1].end == tl.duration
    for a, b in zip(tl.chapters, tl.chapters[1:], strict=False):
        assert a.end == b.start
    lunge = tl.chapters[2]
    heading = first_speech(tl, "Exercise 2 of 2: Lunge.")
    assert lunge.start < heading.start < lunge.start + 1
    outro = tl.speech()[-1]
    assert outro.text == "That's the end of the session. Well done, and see you next time."
    assert tl.chapters[-1].start <= outro.start and outro.end < tl.duration


def test_dutch(tmp_path):
    _, tl = compile_yaml(
        tmp_path,
        """
        title: Heupen
        language: nl
        exercises:
          - name: Schelp
            equipment: [mat]
            setup: [Ga op je zij liggen.]
            caution: Stop bij pijn.
            cues: [Til de bovenste knie op.]
            sides: [left, right]
            sets: 2
            reps: 6
            tempo: 2-1-3
            rest: 30s
          - name: Plank
            work: 40s
          - name: Brug
            reps: 2
            hold: 10s
        """,
    )
    said = texts(tl)
    assert [c.title for c in tl.chapters] == ["Inleiding", "Schelp", "Plank", "Brug", "Afsluiting"]
    minutes = intro_minutes(tl)
    for expected in [
        "Heupen.",
        f"Deze sessie duurt ongeveer {minutes} minuten."
        if minutes > 1
        else "Deze sessie duurt ongeveer een minuut.",
        "We doen 3 oefeningen.",
        "Je hebt nodig: mat.",
        "We gaan beginnen.",
        "Oefening 1 van 3: Schelp.",
        "Uitgangshouding.",
        "Let op: Stop bij pijn.",
        "De beweging.",
        "2 series van 6 herhalingen.",
        "Aan elke kant.",
        "2 seconden omhoog, één seconde vasthouden, dan 3 seconden omlaag.",
        "Begin met je linkerkant.",
        "Serie 1 van 2.",
        "Maak je klaar.",
        "Halverwege.",
        "En de laatste.",
        "30 seconden rust.",
        "Zo meteen: de laatste serie.",
        "Wissel van kant. Nu je rechterkant.",
        "Houd het 40 seconden vol.",
        "Nog 10 seconden.",
        "En stop.",
        "Kom in positie.",
        "En vasthouden.",
        "15 seconden rust.",
        "Zo meteen: Plank.",
        "Laat maar los. Dat was er één.",
        "Goed gedaan.",
        "Dat was de sessie. Goed gedaan, en tot de volgende keer.",
    ]:
        assert expected in said, expected
    assert not any(t.startswith(("Exercise", "Rest", "Get ready")) for t in said)


def test_compiling_is_deterministic(tmp_path):
    programme = load_text(tmp_path, CLAM)
    a = compile_programme(programme, fake_measure)
    b = compile_programme(programme, fake_measure)
    assert a == b
    assert a.warnings == b.warnings
    assert timeline_json_text(a) == timeline_json_text(b)
    again = compile_programme(load_text(tmp_path, CLAM), fake_measure)
    assert timeline_json_text(again) == timeline_json_text(a)


def test_measure_is_asked_once_per_distinct_phrase(tmp_path):
    asked: list[str] = []

    def measure(text: str) -> float:
        asked.append(text)
        return fake_measure(text)

    programme = load_text(tmp_path, CLAM)
    tl = compile_programme(programme, measure)
    # the intro is compiled again while the spoken length settles; each compile
    # measures every phrase once
    assert set(tl.phrases()) <= set(asked)
    compiles = asked.count("Let's begin.")
    assert 1 <= compiles <= 5
    assert len(asked) <= compiles * len(set(asked))


def test_json_has_exactly_the_designed_keys(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    data = json.loads(timeline_json_text(tl))
    assert set(data) == {"format", "title", "duration", "sample_rate", "chapters", "events"}
    assert data["format"] == "voicecoach.timeline/1"
    assert data["title"] == "Hips"
    assert data["sample_rate"] == 44100
    assert data["duration"] == pytest.approx(tl.duration)
    for chapter in data["chapters"]:
        assert set(chapter) == {"title", "start", "end", "exercise"}
    assert [c["exercise"] for c in data["chapters"]] == [None, 0, None]
    kinds = set()
    for event in data["events"]:
        kinds.add(event["kind"])
        if event["kind"] == "speech":
            assert list(event) == ["kind", "start", "end", "text", "exercise", "side", "set", "rep"]
            assert isinstance(event["text"], str)
        else:
            assert list(event) == ["kind", "tone", "start", "end", "exercise", "side", "set", "rep"]
            assert event["tone"] in TONE_LENGTHS
            assert event["end"] - event["start"] == pytest.approx(TONE_LENGTHS[event["tone"]])
    assert kinds == {"speech", "tone"}
    assert {e["tone"] for e in data["events"] if e["kind"] == "tone"} >= {
        "count",
        "go",
        "up",
        "hold",
        "down",
        "end",
        "side",
    }
    assert len(data["events"]) == len(tl.events)


def test_session_length_limit_at_load(tmp_path):
    """The doses alone pass the limit: refused when loading for validate, before measuring."""
    items = "\n".join(f"  - {{name: Long {i}, work: 30m}}" for i in range(9))
    path = write_yaml(tmp_path, f"title: T\nexercises:\n{items}\n")
    with pytest.raises(LimitError) as info:
        pipeline.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}:10:5: the session would last")
    assert "'Long 7'" in message and message.endswith("the limit is 4h")

    def never(text: str) -> float:
        raise AssertionError(f"measured {text!r} before the length bound was checked")

    with pytest.raises(LimitError) as again:
        compile_programme(load_programme(path), never)
    assert str(again.value) == message


def test_session_length_limit_after_measuring(tmp_path):
    """Work within the limit, but a voice so slow that what is said breaks it."""
    items = "\n".join(f"  - {{name: Long {i}, work: 25m, setup: [Lie down.]}}" for i in range(9))
    programme = load_text(tmp_path, f"title: T\nexercises:\n{items}\n")
    with pytest.raises(LimitError) as info:
        compile_programme(programme, lambda text: 120.0)
    err = info.value
    assert err.message.startswith("the session would last ")
    assert err.message.endswith("the limit is 4h")
    name = err.message.split("by the end of '")[1].split("'")[0]  # the one that tips it over
    assert err.location == programme.exercises[int(name.split()[1])].source


def test_intro_length_settles_even_when_saying_it_swings_the_total(tmp_path):
    """If saying "a minutes" makes the track round to b and "b" makes it round to a,
    the larger is said and the end is padded so the intro is still true."""
    programme = load_text(
        tmp_path,
        """
        title: Swing
        exercises:
          - name: Squat
            sets: 3
            reps: 10
        """,
    )
    book = PhraseBook.for_language("en")
    plain = compile_programme(programme, lambda text: 1.0)
    base = plain.duration  # every phrase 1 s, the length phrase included
    a = max(1, round(base / 60))
    b = a + 1
    long_phrase = book.say("intro_length", count=a, minutes=a)

    def swinging(text: str) -> float:
        return b * 60 - (base - 1.0) if text == long_phrase else 1.0

    timeline = compile_programme(programme, swinging)
    said = [e.text for e in timeline.speech() if "takes about" in (e.text or "")]
    assert said == [book.say("intro_length", count=b, minutes=b)]
    assert round(timeline.duration / 60) == b
    assert timeline.duration < b * 60  # padded just enough, not to the full minute


def test_a_long_rest_reminder_never_delays_get_ready_into_the_count_in(tmp_path):
    long_reminder = "Keep the movement small and smooth, " * 4
    _, tl = compile_yaml(
        tmp_path,
        f"""
        title: T
        exercises:
          - name: Row
            reminders: ["{long_reminder.strip()}"]
            sets: 2
            reps: 2
            rest: 25s
            countdown: 10
        """,
    )
    ready = first_speech(tl, "Get ready.", set=2)
    first_tick = tones(tl, "count", set=2)[0]
    assert ready.end <= first_tick.start
    assert [e.text for e in tl.speech() if e.set == 2 and e.rep is None][-10:] == [
        str(n) for n in range(10, 0, -1)
    ]


def test_the_last_hold_is_announced_and_released(tmp_path):
    _, tl = compile_yaml(
        tmp_path, "title: T\nexercises:\n  - {name: Bridge, reps: 2, hold: 8s, relax: 4s}\n"
    )
    last = texts(tl, rep=2)
    assert last[0] == "Last one." and "And hold." in last[1:3]
    assert last[-1] == "Relax."
    end = tones(tl, "end")[0].start
    assert first_speech(tl, "Relax.", rep=2).start == pytest.approx(end)


def test_the_tones_are_explained_once_at_the_first_tempo_exercise(tmp_path):
    _, tl = compile_yaml(
        tmp_path,
        "title: T\nexercises:\n  - {name: Plank, work: 10s}\n  - {name: A, reps: 2}\n"
        "  - {name: B, reps: 2}\n",
    )
    hint = "Follow the tones: each one starts the next part of the movement."
    assert texts(tl).count(hint) == 1
    assert first_speech(tl, hint).exercise == 1


def test_fractional_tempo_is_said_to_the_half_second(tmp_path):
    _, tl = compile_yaml(
        tmp_path, "title: T\nexercises:\n  - {name: A, reps: 2, tempo: 0.5-0-2.5}\n"
    )
    assert "Up for half a second, down for 2 and a half seconds." in texts(tl)


def test_the_side_chime_waits_for_and_stop(tmp_path):
    _, tl = compile_yaml(
        tmp_path,
        "title: T\nexercises:\n  - {name: Plank, sides: both, work: 10s, side_rest: 10s}\n",
    )
    stop = first_speech(tl, "And stop.", side="left")
    (chime,) = tones(tl, "side")
    assert chime.start >= stop.end


def test_chapters_must_hold_each_exercise_once_around_its_events(tmp_path):
    _, tl = compile_yaml(tmp_path, CLAM)
    check_timeline(tl)
    intro, clamshell, outro = tl.chapters
    unlabelled = replace(tl, chapters=(intro, replace(clamshell, exercise=None), outro))
    with pytest.raises(TimelineRuleBroken, match="outside its exercise's chapter"):
        check_timeline(unlabelled)
    twice = replace(tl, chapters=(replace(intro, exercise=0), clamshell, outro))
    with pytest.raises(TimelineRuleBroken, match=r"exercises \[0, 0\]"):
        check_timeline(twice)
