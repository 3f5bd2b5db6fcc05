"""Keys, status line, signals and --from parsing."""

from __future__ import annotations

import io
import os
import signal
import termios
import time

import pytest
from test_live_support import tiny, tiny_mixer

from voicecoach.live import NullSink, Player, StartSpec, parse_start, start_seconds
from voicecoach.live.terminal import (
    KeyReader,
    StatusLine,
    format_status,
    signals_stop,
    split_keys,
)
from voicecoach.timeline.clock import clock


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def player_at(seconds: float) -> Player:
    p = Player(tiny_mixer(), NullSink(), start=seconds)
    p.open()
    return p


def test_status_line_shows_chapter_exercise_and_phrase():
    timeline = tiny().timeline
    phrase = next(e for e in timeline.speech() if e.exercise == 2)
    state = player_at(phrase.start + 0.1).state()
    line = format_status(state, timeline.duration, 3)
    assert line.startswith(f"▶ {clock(phrase.start + 0.1)} / {clock(timeline.duration)}  3/3 Squat")
    assert line.endswith(f'"{phrase.text}"')


def test_status_line_in_the_intro_and_when_paused():
    p = player_at(1.0)
    p.pause()
    p.step()
    line = format_status(p.state(), tiny().timeline.duration, 3)
    assert line.startswith("‖ 0:01") and "Introduction" in line and "/3" not in line


def test_status_line_on_a_terminal_rewrites_one_line():
    stream = FakeTTY()
    status = StatusLine(stream, tiny().timeline.duration, 3)
    p = player_at(tiny().timeline.chapters[1].start)
    status.update(p)
    status.update(p)  # unchanged: not written again
    status.finish()
    text = stream.getvalue()
    assert text.count("\r") == 2 and "\n" not in text
    assert "1/3 Knee lift" in text and text.endswith("\r\x1b[K")


def test_status_lines_in_a_log_are_one_per_chapter():
    stream = io.StringIO()
    status = StatusLine(stream, tiny().timeline.duration, 3)
    Player(tiny_mixer(), NullSink()).run(on_tick=status.update)
    lines = stream.getvalue().splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == [
        "Introduction",
        "1/3 Knee lift",
        "2/3 Hold",
        "3/3 Squat",
        "Finish",
    ]


def test_split_keys_keeps_arrow_sequences():
    assert split_keys("N \x1b[Cq\x1b[D") == ["n", " ", "\x1b[C", "q", "\x1b[D"]


def test_key_reader_uses_cbreak_and_restores_the_terminal():
    master, slave = os.openpty()
    try:
        with open(slave, closefd=False) as stream:
            before = termios.tcgetattr(slave)
            pressed: list[str] = []
            actions = {k: (lambda k=k: pressed.append(k)) for k in ("n", " ", "\x1b[C", "q")}
            with KeyReader(stream, actions):
                mode = termios.tcgetattr(slave)
                assert not mode[3] & termios.ICANON and not mode[3] & termios.ECHO
                assert mode[3] & termios.ISIG  # Ctrl-C still interrupts
                os.write(master, b"n \x1b[Cq")
                deadline = time.monotonic() + 5
                while len(pressed) < 4 and time.monotonic() < deadline:
                    time.sleep(0.01)
            assert pressed == ["n", " ", "\x1b[C", "q"]
            assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


def test_key_reader_is_inert_without_a_terminal():
    with KeyReader(io.StringIO(), {}) as reader:
        assert reader.fd is None


def test_signals_stop_the_player_then_interrupt_and_are_restored():
    p = Player(tiny_mixer(), NullSink())
    previous = signal.getsignal(signal.SIGINT)
    with signals_stop(p):
        os.kill(os.getpid(), signal.SIGINT)
        assert not p.step() and p.state().stopped
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
    assert signal.getsignal(signal.SIGINT) is previous


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("2", StartSpec(exercise=2)),
        (" 12 ", StartSpec(exercise=12)),
        ("1:30", StartSpec(seconds=90.0)),
        ("0:05.5", StartSpec(seconds=5.5)),
        ("1:02:03", StartSpec(seconds=3723.0)),
    ],
)
def test_parse_start(text, spec):
    assert parse_start(text) == spec


@pytest.mark.parametrize("text", ["", "-1", "1.5", "1:60", "1:75:00", "1:2:3:4", "a:bc"])
def test_parse_start_rejects(text):
    with pytest.raises(ValueError):
        parse_start(text)


def test_start_seconds_maps_exercises_to_their_chapters():
    timeline = tiny().timeline
    assert [c.exercise for c in timeline.chapters] == [None, 0, 1, 2, None]
    assert start_seconds(timeline, StartSpec(exercise=1)) == timeline.chapters[1].start
    assert start_seconds(timeline, StartSpec(exercise=3)) == timeline.chapters[3].start
    assert start_seconds(timeline, StartSpec(seconds=0.0)) == 0.0
    with pytest.raises(ValueError, match="exercises 1 to 3"):
        start_seconds(timeline, StartSpec(exercise=4))
    with pytest.raises(ValueError, match="past the end"):
        start_seconds(timeline, StartSpec(seconds=timeline.duration))


def test_clock():
    assert clock(0) == "0:00" and clock(192.9) == "3:12" and clock(3723) == "1:02:03"
