"""`voicecoach play`: sinks, --from, exit codes and a clean stop on Ctrl-C."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from click.testing import CliRunner
from test_live_support import tiny, tiny_mixer, tiny_track

from voicecoach.audio.assets import read_wav
from voicecoach.cli import main
from voicecoach.live import NullSink, play_session, summary
from voicecoach.wavio import to_int16

SR = 44100


def play(*args: str):
    session = tiny()
    env = {"VOICECOACH_CACHE_DIR": str(session.cache_dir)}
    return CliRunner().invoke(main, ["play", str(session.script), *args], env=env)


def wav_int16(path) -> np.ndarray:
    samples, _ = read_wav(path)
    return np.rint(samples * 32768.0).astype(np.int16)


def test_null_sink_plays_to_the_end_fast():
    result = play("--sink", "null")
    assert result.exit_code == 0, result.output
    assert "finished (1:" in result.stderr
    for chapter in tiny().timeline.chapters:  # not a terminal: one line per chapter
        assert chapter.title in result.stderr


def test_wav_sink_writes_the_built_track(tmp_path):
    out = tmp_path / "live.wav"
    result = play("--sink", f"wav:{out}")
    assert result.exit_code == 0, result.output
    assert np.array_equal(wav_int16(out), to_int16(tiny_track()))


def test_from_2_starts_exactly_at_exercise_2(tmp_path):
    out = tmp_path / "from2.wav"
    result = play("--sink", f"wav:{out}", "--from", "2")
    assert result.exit_code == 0, result.output
    start = tiny().chapter_frame(2)  # chapter 0 is the introduction
    assert tiny().timeline.chapters[2].title == "Hold"
    assert np.array_equal(wav_int16(out), to_int16(tiny_track()[start:]))
    assert "Knee lift" not in result.stderr


def test_from_a_time(tmp_path):
    out = tmp_path / "from-time.wav"
    result = play("--sink", f"wav:{out}", "--from", "0:30.5")
    assert result.exit_code == 0, result.output
    assert np.array_equal(wav_int16(out), to_int16(tiny_track()[round(30.5 * SR) :]))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "no exercise 0"),
        ("4", "exercises 1 to 3"),
        ("9:00", "past the end"),
        ("1:75", "not a valid time"),
        ("two", "neither an exercise number nor a time"),
    ],
)
def test_bad_from_is_a_usage_error(value, message):
    result = play("--sink", "null", "--from", value)
    assert result.exit_code == 2
    assert message in result.stderr and "--from" in result.stderr


def test_bad_sink_is_a_usage_error():
    result = play("--sink", "speakers")
    assert result.exit_code == 2 and "unknown sink" in result.stderr


def test_bad_script_is_one_located_error(tmp_path):
    script = tmp_path / "bad.yaml"
    script.write_text("title: x\nvoice: {engine: fake}\nexercises:\n  - name: a\n    bogus: 1\n")
    result = CliRunner().invoke(main, ["play", str(script), "--sink", "null"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {script}:5:")


def test_missing_device_is_one_line_exit_1():
    pytest.importorskip("sounddevice", exc_type=OSError)
    result = play("--sink", "device:no-such-device-x")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: cannot find")


def test_no_script_plays_the_demo_with_the_fake_engine(tmp_path):
    env = {"VOICECOACH_CACHE_DIR": str(tmp_path)}
    args = ["play", "--engine", "fake", "--sink", "null", "--from", "4"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "4/4 Bird dog" in result.stderr and "3/4" not in result.stderr


class InterruptingSink(NullSink):
    """Sends this process a SIGINT once ``after`` frames have been written."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def write(self, block):
        super().write(block)
        if self.frames_played >= self.after and self.after:
            self.after = 0
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_stops_cleanly_and_says_where(capsys):
    session = tiny()
    at = session.chapter_frame(1) + 2 * SR
    state = play_session(tiny_mixer(), InterruptingSink(at))
    assert state.stopped and state.exercise == 1
    assert 0 <= state.frame - at <= 4096  # stopped after the block in progress
    assert summary(state, session.timeline.duration) == "stopped at 0:10, exercise 1"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
