"""A programme's and a library exercise's own wording (`phrases:`), and `phrases --keys`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from core_helpers import compile_text, load_error, parse_located, where, write_yaml

from voicecoach.cli import main
from voicecoach.phrases import LANGUAGES


def said(timeline, **ctx) -> list[str]:
    return [e.text for e in timeline.speech() if all(getattr(e, k) == v for k, v in ctx.items())]


PROGRAMME = """
title: Own words
phrases:
  rest: "Breathe out: {duration} off."
  exercise_done: Nice work.
  outro: That was it. See you on Thursday.
exercises:
  - name: Squat
    sets: 2
    reps: 3
    rest: 1m30s
  - use: bridge
    sets: 2
    rest: 20s
  - use: bridge
    sets: 2
    rest: 20s
    phrases:
      next_last_set: Then the final set.
"""
BRIDGE = """
name: Bridge
reps: 2
hold: 5s
phrases:
  relax_count: "Down. {n:w} done."
  relax_count_one: Down. That's the first.
  next_last_set: Then the last set of bridges.
  exercise_done: Good bridging.
"""


@pytest.fixture
def own_words(tmp_path):
    write_yaml(tmp_path, BRIDGE, "exercises/bridge.yaml")
    return compile_text(tmp_path, PROGRAMME)


def test_programme_wording_replaces_the_pack_everywhere(own_words):
    lines = said(own_words)
    assert "Breathe out: a minute and a half off." in lines
    assert "Breathe out: 20 seconds off." in lines
    assert lines[-1] == "That was it. See you on Thursday."
    assert said(own_words, exercise=0)[-3:] == [
        "Nice work.",
        "Breathe out: 15 seconds off.",  # the rest before the next exercise
        "Next up: Bridge.",
    ]
    assert not any(line.startswith("Rest for") or line == "Well done." for line in lines)


def test_library_wording_belongs_to_its_exercise_and_the_programme_can_reword_it(own_words):
    bridge, again = said(own_words, exercise=1), said(own_words, exercise=2)
    assert "Down. That's the first." in bridge
    assert "Then the last set of bridges." in bridge
    done = [
        [line for line in lines if line in ("Good bridging.", "Nice work.")]
        for lines in (bridge, again)
    ]
    assert done == [["Good bridging."], ["Good bridging."]]  # library over programme
    assert "Then the final set." in again and "Then the last set of bridges." not in again
    squat = said(own_words, exercise=0)
    assert "Next: the last set." in squat and "Down. That's the first." not in squat


def test_a_number_form_in_an_override_is_honoured(tmp_path):
    timeline = compile_text(
        tmp_path,
        """
        title: T
        language: fr
        phrases:
          reps: "{n:f} répétitions lentes"
          rest: "Pause de {duration}."
        exercises:
          - {name: Pont, sets: 2, reps: 21, rest: 60}
        """,
    )
    lines = said(timeline)
    assert "2 séries de vingt et une répétitions lentes." in lines
    assert "Pause d'une minute." in lines


@pytest.mark.parametrize(
    ("text", "at", "message"),
    [
        (
            "title: T\nphrases:\n  rest_lenght: x\nexercises: [{name: A, reps: 1}]\n",
            (3, 3),
            "phrases: unknown phrase key 'rest_lenght' (did you mean 'rest_left'?); "
            "`voicecoach phrases --keys` lists them",
        ),
        (
            "title: T\nphrases:\n  rest: Rest {durration}.\nexercises: [{name: A, reps: 1}]\n",
            (3, 9),
            "phrases.rest: unknown placeholder {durration}; 'rest' takes {duration}",
        ),
        (
            "title: T\nphrases:\n  set_of: Set {n}.\nexercises: [{name: A, reps: 1}]\n",
            (3, 11),
            "phrases.set_of: missing placeholder {total}; 'set_of' takes {n}, {total}",
        ),
        (
            "title: T\nphrases:\n  countdown: {n}\nexercises: [{name: A, reps: 1}]\n",
            (3, 14),
            "phrases.countdown: a wording that starts with '{' must be quoted",
        ),
        (
            "title: T\nphrases:\n  rest: '{duration:w} off'\nexercises: [{name: A, reps: 1}]\n",
            (3, 9),
            "phrases.rest: {duration:w}: only a number takes a form",
        ),
        (
            "title: T\nphrases:\n  rest: 'Rest {duration'\nexercises: [{name: A, reps: 1}]\n",
            (3, 9),
            "phrases.rest: expected '}' before end of string",
        ),
        (
            "title: T\nphrases: [rest]\nexercises: [{name: A, reps: 1}]\n",
            (2, 10),
            "phrases: expected a mapping from phrase keys to wording",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 1\n    phrases: {outro: Bye.}\n",
            (5, 15),
            "phrases: 'outro' is said outside the exercises; set it in the programme's phrases:",
        ),
        (
            "title: T\ndefaults:\n  phrases: {rest: x}\nexercises: [{name: A, reps: 1}]\n",
            (3, 3),
            "unknown key 'phrases' in defaults",
        ),
    ],
)
def test_a_bad_override_is_a_located_error(tmp_path, text, at, message):
    err = load_error(tmp_path, text)
    assert where(err) == at
    assert message in err.message


def test_a_bad_override_in_a_library_exercise_points_into_that_file(tmp_path):
    write_yaml(tmp_path, "name: B\nreps: 2\nphrases:\n  stop: And {n} stop.\n", "exercises/b.yaml")
    err = load_error(tmp_path, "title: T\nexercises:\n  - use: b\n")
    located = parse_located(str(err))
    assert located.file == str(tmp_path / "exercises" / "b.yaml")
    assert (located.line, located.column) == (4, 9)
    assert "phrases.stop: unknown placeholder {n}; 'stop' takes no placeholders" in err.message
    assert "(in 'b', used at" in err.message


# --- voicecoach phrases --keys --------------------------------------------------------


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_keys_lists_every_key_with_its_wording(runner, code):
    result = runner.invoke(main, ["phrases", "--keys", "--language", code])
    assert result.exit_code == 0, result.output
    rows = [line.split(None, 1) for line in result.output.splitlines()]
    table = LANGUAGES[code].table
    assert [key for key, _ in rows] == list(table)
    assert all(wording == table[key] for key, wording in rows)


def test_keys_default_to_english_and_show_a_programme_own_wording(runner, tmp_path):
    english = runner.invoke(main, ["phrases", "--keys"])
    assert english.exit_code == 0
    rows = [line.split(None, 1) for line in english.output.splitlines()]
    assert ["rest", "Rest for {duration}."] in rows  # whatever the key column's width
    script = write_yaml(
        tmp_path, "title: T\nlanguage: de\nphrases: {stop: Aus.}\nexercises: [{name: A, reps: 1}]\n"
    )
    result = runner.invoke(main, ["phrases", "--keys", str(script)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split() == ["stop", "Aus.", "(programme)"] for line in lines)
    assert any(line.startswith("exercise_done") and "Gut gemacht." in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["phrases", "--keys", "--language", "xx"], "no phrase pack for 'xx'"),
        (["phrases"], "give SCRIPT"),
        (["phrases", "--language", "de"], "give SCRIPT"),
    ],
)
def test_keys_usage_errors(runner, args, message):
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and message in result.output


def test_validate_refuses_a_bad_override(runner, tmp_path):
    script = write_yaml(
        tmp_path, "title: T\nphrases: {rest: Rest.}\nexercises: [{name: A, reps: 1}]\n"
    )
    result = runner.invoke(main, ["validate", str(script)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {script}:2:17: phrases.rest: missing placeholder {{duration}}; "
        "'rest' takes {duration}"
    )
