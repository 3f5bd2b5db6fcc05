"""The value parsers: durations, tempos, counts, text, lines, booleans."""

from __future__ import annotations

import time

import pytest

from voicecoach.errors import LimitError, ScriptError, SourceLocation
from voicecoach.script import limits
from voicecoach.script.model import Tempo
from voicecoach.script.values import (
    format_seconds,
    parse_bool,
    parse_count,
    parse_duration,
    parse_lines,
    parse_tempo,
    parse_text,
)
from voicecoach.script.yamlsource import YNode

LOC = SourceLocation("p.yaml", 7, 9)


def node(value) -> YNode:
    """A YNode at p.yaml:7:9 (lists are wrapped item by item)."""
    if isinstance(value, list):
        return YNode([node(v) for v in value], LOC)
    return YNode(value, LOC)


def duration(value, maximum: float = 3600.0, **kw) -> float:
    return parse_duration(node(value), "rest", maximum=maximum, **kw)


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        (30, 30.0),
        (2.5, 2.5),
        (0, 0.0),
        ("45", 45.0),
        ("45s", 45.0),
        ("45 s", 45.0),
        ("45sec", 45.0),
        ("2m", 120.0),
        ("2min", 120.0),
        ("1m30s", 90.0),
        ("1m 30s", 90.0),
        ("1M30S", 90.0),
        ("1h", 3600.0),
        ("1.5m", 90.0),
        (" 10s ", 10.0),
        ("0.25s", 0.25),
    ],
)
def test_durations(written, seconds):
    assert duration(written, maximum=7200) == seconds


@pytest.mark.parametrize(
    "written", ["", "  ", "soon", "10x", "s", "m30", "-5", "1,5s", "1e3", [1], {"a": 1}, True, None]
)
def test_bad_durations_say_what_was_expected(written):
    with pytest.raises(ScriptError) as info:
        duration(written)
    err = info.value
    assert not isinstance(err, LimitError)
    assert str(err).startswith("p.yaml:7:9: rest: expected a duration such as 30, '45s'")


def test_negative_number_duration_is_refused():
    with pytest.raises(ScriptError, match="rest: expected a duration"):
        duration(-3)


def test_zero_duration_where_not_allowed():
    assert duration(0) == 0
    with pytest.raises(ScriptError, match="expected a duration above zero, got 0"):
        duration(0, allow_zero=False)


def test_duration_over_the_maximum_is_a_limit_error_naming_the_limit():
    with pytest.raises(LimitError) as info:
        duration("2h", maximum=limits.MAX_REST_SECONDS)
    assert str(info.value) == "p.yaml:7:9: rest: 2h is longer than the limit of 30m"


def test_non_finite_and_huge_durations_are_refused_not_crashing():
    for value in (float("inf"), float("nan"), 10**400, -(10**400)):
        with pytest.raises(ScriptError, match="rest: expected a duration"):
            duration(value)


def test_long_duration_strings_fail_fast():
    # the duration pattern backtracks badly on long runs of spaces; such input must
    # not hang the loader
    started = time.perf_counter()
    for text in (" " * 5000 + "x", "1h" + " " * 5000 + "x", "1" * 5000):
        with pytest.raises(ScriptError):
            duration(text)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("written", "tempo"),
    [
        ("2-1-3", Tempo(2, 1, 3)),
        ("2-0-2", Tempo(2, 0, 2)),
        ("3-1-3-1", Tempo(3, 1, 3, 1)),
        ("1.5-0.5-2", Tempo(1.5, 0.5, 2)),
        ("2 - 1 - 3", Tempo(2, 1, 3)),
        ("2/1/3", Tempo(2, 1, 3)),
        ("2:1:3", Tempo(2, 1, 3)),
        ([2, 1, 3], Tempo(2, 1, 3)),
        ([2, 1, 3, 1], Tempo(2, 1, 3, 1)),
        (["2", "0.5", "4"], Tempo(2, 0.5, 4)),
    ],
)
def test_tempos(written, tempo):
    parsed = parse_tempo(node(written))
    assert parsed == tempo
    assert parsed.period == tempo.up + tempo.hold + tempo.down + tempo.pause


def test_tempo_period_and_str():
    tempo = parse_tempo(node("3-1-3-1"))
    assert tempo.period == 8
    assert tempo.active == 7
    assert str(tempo) == "3-1-3-1"
    assert str(parse_tempo(node("2-1-3"))) == "2-1-3"


@pytest.mark.parametrize(
    "written",
    [
        "fast",
        "2-1",
        "2-1-3-1-1",
        "2-x-3",
        "0-1-3",
        "2-1-0",
        "2--3",
        [2, 1],
        [2, -1, 3],
        [2, True, 3],
        [2, [1], 3],
        [2, float("nan"), 3],
        [2, 10**400, 3],
        213,
        None,
        "2-1-3" + " " * 100 + "x",
    ],
)
def test_bad_tempos(written):
    with pytest.raises(ScriptError) as info:
        parse_tempo(node(written))
    assert not isinstance(info.value, LimitError)
    assert str(info.value).startswith("p.yaml:7:9: tempo: expected a tempo")


def test_tempo_phase_over_the_limit():
    with pytest.raises(LimitError) as info:
        parse_tempo(node("2-1-61"))
    assert str(info.value) == "p.yaml:7:9: tempo: a phase of 61s is over the limit of 60s"


def test_counts():
    assert parse_count(node(3), "sets", minimum=1, maximum=20) == 3
    assert parse_count(node(3.0), "sets", minimum=1, maximum=20) == 3
    assert parse_count(node(0), "countdown", minimum=0, maximum=10) == 0
    assert parse_count(node("3"), "sets", minimum=1, maximum=20) == 3  # quoted or not


@pytest.mark.parametrize("written", [0, -1, 2.5, "3x", "٣", True, None, [3], float("nan")])
def test_bad_counts(written):
    with pytest.raises(ScriptError) as info:
        parse_count(node(written), "sets", minimum=1, maximum=20)
    assert not isinstance(info.value, LimitError)
    assert str(info.value).startswith(
        "p.yaml:7:9: sets: expected a whole number of at least 1, got "
    )


def test_count_over_the_limit():
    with pytest.raises(LimitError) as info:
        parse_count(node(21), "sets", minimum=1, maximum=20)
    assert str(info.value) == "p.yaml:7:9: sets: 21 is over the limit of 20"
    with pytest.raises(LimitError):
        parse_count(node(10**400), "sets", minimum=1, maximum=20)


def test_text_is_normalised_and_numbers_become_text():
    assert parse_text(node("  Lie   on\nyour side. "), "cue") == "Lie on your side."
    assert parse_text(node(42), "name") == "42"


@pytest.mark.parametrize("written", ["", "   ", None, True, [1], {"a": 1}])
def test_bad_text(written):
    with pytest.raises(ScriptError, match=r"^p\.yaml:7:9: caution: expected a line of text"):
        parse_text(node(written), "caution")


def test_text_length_limit():
    assert parse_text(node("x" * limits.MAX_TEXT_CHARS), "cue")
    with pytest.raises(LimitError) as info:
        parse_text(node("x" * (limits.MAX_TEXT_CHARS + 1)), "cue")
    assert str(info.value) == "p.yaml:7:9: cue: text is 601 characters; the limit is 600"


def test_lines():
    assert parse_lines(node(["a", "b"]), "cues") == ("a", "b")
    assert parse_lines(node("only one"), "cues") == ("only one",)
    assert parse_lines(node(None), "cues") == ()
    with pytest.raises(ScriptError, match=r"cues\[2\]: expected a line of text"):
        parse_lines(node(["a", ["b"]]), "cues")
    with pytest.raises(LimitError, match="cues: 51 lines is over the limit of 50"):
        parse_lines(node(["x"] * 51), "cues")


def test_bool():
    assert parse_bool(node(True), "intro") is True
    assert parse_bool(node(False), "intro") is False
    for value in ("yes please", 1, None):
        with pytest.raises(ScriptError, match="intro: expected true or false"):
            parse_bool(node(value), "intro")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(45, "45s"), (2.5, "2.5s"), (60, "1m"), (90, "1m30s"), (3600, "1h"), (3905, "1h5m5s")],
)
def test_format_seconds(seconds, shown):
    assert format_seconds(seconds) == shown
