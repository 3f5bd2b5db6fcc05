"""The command engine: any program that writes a WAV, run without a shell, with a timeout."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.command_engine import CommandEngine, parse_settings

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")


def _voice(name: str | None = "en-gb", **options) -> Voice:
    run = options.get("run")
    if isinstance(run, list):  # a list of arguments, as the engine's own API takes
        options["run"] = tuple(run)
    return Voice("command", name, options=tuple(sorted(options.items())))


def test_run_is_split_like_a_shell_line():
    settings = parse_settings({"run": "say -v {voice} -o '{out}' --data-format=LEI16@22050 {text}"})
    assert settings.run == (
        "say",
        "-v",
        "{voice}",
        "-o",
        "{out}",
        "--data-format=LEI16@22050",
        "{text}",
    )
    assert parse_settings({"run": ["a b", "{text}"]}).run == ("a b", "{text}")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs options.run"),
        ({"run": ""}, "options.run is empty"),
        ({"run": "tts {txt}"}, r"unknown placeholder \{txt\}"),
        ({"run": "tts 'unclosed"}, "not a valid command line"),
        ({"run": 3}, "a command line"),
        ({"run": "tts", "timeout": 0}, "seconds from 0 to 600"),
        ({"run": "tts", "shell": True}, "unknown command option 'shell'"),
    ],
)
def test_bad_options_say_what_is_wrong(options, message):
    with pytest.raises(ValueError, match=message):
        parse_settings(options)


@needs_espeak
def test_espeak_ng_writing_to_out():
    engine = CommandEngine()
    clip = engine.synthesize(
        "Rest for 30 seconds.", _voice(run="espeak-ng -v {voice} -w {out} {text}")
    )
    assert clip.sample_rate == 44100 and 0.8 < clip.duration < 3.0
    assert float(np.abs(clip.samples).max()) > 0.1


@needs_espeak
def test_without_out_the_wav_is_read_from_stdout_and_without_text_it_goes_to_stdin():
    engine = CommandEngine()
    via_file = engine.synthesize(
        "Breathe calmly.", _voice(run="espeak-ng -v {voice} -w {out} {text}")
    )
    via_pipes = engine.synthesize("Breathe calmly.", _voice(run="espeak-ng -v {voice} --stdout"))
    assert np.array_equal(via_file.samples, via_pipes.samples)


def test_the_phrase_is_one_argument_never_a_shell_command(tmp_path):
    marker = tmp_path / "injected"
    text = f"Hello; touch {marker} $(touch {marker}) `touch {marker}`"
    engine = CommandEngine()
    script = 'printf "%s" "$1" > "$2"; exit 3'
    voice = _voice(run=["sh", "-c", script, "sh", "{text}", str(tmp_path / "said.txt")])
    with pytest.raises(SpeechError, match="exit status 3"):
        engine.synthesize(text, voice)
    assert (tmp_path / "said.txt").read_text() == text
    assert not marker.exists()


def test_a_hanging_program_is_stopped_with_its_children():
    engine = CommandEngine()
    voice = _voice(run=["sh", "-c", "sleep 30 & sleep 30; echo {text}"], timeout=0.5)
    started = time.monotonic()
    with pytest.raises(SpeechError, match=r'sh speaking "Rest\." did not finish within 0.5 s'):
        engine.synthesize("Rest.", voice)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ("no-such-tts-program {text}", "program 'no-such-tts-program' was not found"),
        (["sh", "-c", "echo broken voice >&2; exit 2", "{text}"], r"exit status 2\): broken voice"),
        (["sh", "-c", "true", "{out}", "{text}"], r"wrote no audio to \{out\}"),
        (["sh", "-c", 'echo not audio > "$0"', "{out}", "{text}"], "its output"),
    ],
)
def test_failures_are_one_line_naming_the_phrase(run, message):
    with pytest.raises(SpeechError, match=message) as caught:
        CommandEngine().synthesize("Rest for 30 seconds.", _voice(run=run))
    assert "\n" not in str(caught.value)
    if "not found" not in message:
        assert '"Rest for 30 seconds."' in str(caught.value)


def test_the_cache_key_follows_the_command_line():
    engine = CommandEngine()
    one = engine.cache_key(_voice(run="sh -c 'true' {text}"))
    assert one == engine.cache_key(_voice(run="sh -c 'true' {text}"))
    assert one != engine.cache_key(_voice(run="sh -c 'false' {text}"))
