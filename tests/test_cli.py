"""The command line through click's CliRunner: exit codes, one-line errors, outputs."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from speech_helpers import isolated_fake

from voicecoach.cli import main
from voicecoach.script import load_programme
from voicecoach.speech.fake import FakeEngine
from voicecoach.speech.registry import register_engine

SHORT = """\
title: Short check
voice: {engine: fake}
exercises:
  - name: Squat
    reps: 2
    tempo: 1-0-1
    countdown: 1
"""


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("VOICECOACH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def write(folder: Path, text: str, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output + result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_validate_ok_and_located_error(runner, tmp_path):
    good = write(tmp_path, SHORT, "good.yaml")
    bad = write(tmp_path, SHORT.replace("reps: 2", "rep: 2"), "bad.yaml")
    ok = runner.invoke(main, ["validate", str(good)])
    assert ok.exit_code == 0 and f"ok: {good}" in ok.stdout
    result = runner.invoke(main, ["validate", str(bad)])
    assert_one_line_error(result, f"{bad}:5:5:", "unknown key 'rep'", "did you mean 'reps'")


def test_validate_several_reports_each_and_fails(runner, tmp_path):
    good = write(tmp_path, SHORT, "good.yaml")
    bad1 = write(tmp_path, "title: x\n", "bad1.yaml")
    bad2 = write(tmp_path, SHORT.replace("tempo: 1-0-1", "tempo: fast"), "bad2.yaml")
    result = runner.invoke(main, ["validate", str(bad1), str(good), str(bad2)])
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(f"error: {bad1}:") and "exercises" in errors[0]
    assert errors[1].startswith(f"error: {bad2}:6:12:") and "tempo" in errors[1]
    assert f"ok: {good}" in result.stdout


@pytest.mark.parametrize(
    "args",
    [["validate"], ["plan"], ["build", "--format", "flac"], ["nonsense"], ["plan", "--bogus", "x"]],
)
def test_wrong_usage_exits_2(runner, args):
    result = runner.invoke(main, args)
    assert result.exit_code == 2


def test_missing_file_is_one_line(runner):
    assert_one_line_error(
        runner.invoke(main, ["plan", "nowhere.yaml"]), "nowhere.yaml", "no such file"
    )


def test_plan_table_and_json(runner, tmp_path):
    script = write(tmp_path, SHORT)
    table = runner.invoke(main, ["plan", str(script)])
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("Short check: 0:")
    assert '"Exercise 1 of 1: Squat."' not in table.stdout  # a single exercise has no "1 of 1"
    assert '"Squat."' in table.stdout and "♪ go" in table.stdout
    as_json = runner.invoke(main, ["plan", str(script), "--json"])
    data = json.loads(as_json.stdout)
    assert data["format"] == "voicecoach.timeline/1"
    assert set(data) == {"format", "title", "duration", "sample_rate", "chapters", "events"}
    assert [c["title"] for c in data["chapters"]] == ["Introduction", "Squat", "Finish"]
    assert [c["exercise"] for c in data["chapters"]] == [None, 0, None]


def test_phrases_lists_each_line_once(runner, tmp_path):
    result = runner.invoke(main, ["phrases", str(write(tmp_path, SHORT))])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(set(lines))
    assert "Short check." in lines and "Last one." in lines and "2" in lines


@pytest.mark.e2e  # three real builds
def test_build_writes_track_and_sidecars(runner, tmp_path):
    script = write(tmp_path, SHORT)
    result = runner.invoke(main, ["build", str(script), "-o", "out/a.wav"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    written = ["a.handout.html", "a.html", "a.timeline.json", "a.vtt", "a.wav"]
    assert sorted(p.name for p in out.iterdir()) == written
    bare = runner.invoke(main, ["build", str(script), "-o", "bare/a.wav", "--no-page"])
    assert bare.exit_code == 0, bare.output
    assert sorted(p.name for p in (tmp_path / "bare").iterdir()) == written[2:]
    default = runner.invoke(main, ["build", str(script)])
    assert default.exit_code == 0, default.output
    assert (tmp_path / "output" / "short-check.mp3").stat().st_size > 1000


@pytest.mark.e2e
def test_build_output_suffix_follows_format(runner, tmp_path):
    script = write(tmp_path, SHORT)
    result = runner.invoke(main, ["build", str(script), "-o", "track", "--format", "ogg"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "track.ogg").exists() and (tmp_path / "track.vtt").exists()


def test_missing_ffmpeg_names_the_install_command(runner, tmp_path, monkeypatch):
    script = write(tmp_path, SHORT)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = runner.invoke(main, ["build", str(script), "-o", "x.mp3"])
    assert_one_line_error(result, "ffmpeg", "apt-get install ffmpeg")
    assert not list(tmp_path.glob("x*")) and not list(tmp_path.glob(".x*"))


def test_failing_engine_names_the_phrase(runner, tmp_path):
    register_engine("broken-for-test", lambda **_: FakeEngine(fail_on="Squat"))
    script = write(tmp_path, SHORT)
    result = runner.invoke(main, ["build", str(script), "--engine", "broken-for-test"])
    assert_one_line_error(result, "Squat")
    assert not (tmp_path / "output").exists() or not any((tmp_path / "output").iterdir())


@pytest.mark.e2e  # waits out the timeout (test_speech_worker checks it in the unit suite)
def test_hanging_engine_is_stopped(runner, tmp_path):
    register_engine(
        "hangs-for-test",
        lambda **_: isolated_fake(1.0, hang_seconds=60, hang_on="Get ready"),
    )
    script = write(tmp_path, SHORT)
    result = runner.invoke(main, ["build", str(script), "--engine", "hangs-for-test"])
    assert_one_line_error(result, "Get ready", "within 1")


def test_unknown_engine(runner, tmp_path):
    result = runner.invoke(main, ["plan", str(write(tmp_path, SHORT)), "--engine", "nope"])
    assert_one_line_error(result, "no speech engine 'nope'", "pyttsx3")


def test_unknown_engine_in_the_programme_is_located_but_can_be_overridden(runner, tmp_path):
    script = write(tmp_path, SHORT.replace("engine: fake", "engine: festival"))
    result = runner.invoke(main, ["validate", str(script)])
    assert_one_line_error(result, f"{script}:2:8: voice.engine: no speech engine 'festival'")
    assert runner.invoke(main, ["plan", str(script), "--engine", "fake"]).exit_code == 0


def test_debug_shows_the_traceback(runner, tmp_path):
    bad = write(tmp_path, "title: [unclosed\n")
    quiet = runner.invoke(main, ["plan", str(bad)])
    assert_one_line_error(quiet, f"{bad}:")
    loud = runner.invoke(main, ["--debug", "plan", str(bad)])
    assert loud.exit_code == 1
    assert "Traceback" in loud.stderr and "ScriptError" in loud.stderr


def test_voices_lists_the_fake_voices(runner):
    result = runner.invoke(main, ["voices", "--engine", "fake", "--language", "nl"])
    assert result.exit_code == 0
    assert "fake-nl" in result.stdout and "fake-en" not in result.stdout


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and "voicecoach" in result.stdout


HANG_GUARD = 30.0
"""Seconds a refusal may take before it counts as a hang (speed is measured in bench.py)."""

MALFORMED = sorted((Path(__file__).parent / "malformed").glob("*.yaml"))


def test_the_malformed_corpus_is_there():
    assert len(MALFORMED) >= 60


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.name)
@pytest.mark.parametrize("command", ["validate", "plan", "build"])
def test_every_malformed_programme_is_refused_in_one_line(runner, path, command):
    """Each corpus file is refused the same way by validate, plan and build: exit 1,
    one located line per error (the file's '# expect:' lines, in order), within a second."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    expects = [line.removeprefix("# expect: ").strip() for line in lines if line.startswith("# ")]
    assert lines[0].startswith("# expect: ")
    started = time.perf_counter()
    result = runner.invoke(
        main, [command, str(path), "--engine", "fake"][: 2 if command == "validate" else 4]
    )
    assert time.perf_counter() - started < HANG_GUARD  # speed: scripts/bench.py
    assert result.exit_code == 1, result.output
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(expects), result.stderr
    assert "Traceback" not in result.output + result.stderr
    for fragment, line in zip(expects, errors, strict=True):
        # the error names the programme, or the library file the fault is in
        named = str(path.parent / "exercises") if ".yaml:" in fragment else str(path)
        assert line.startswith(f"error: {named}")
        assert fragment in line


def test_output_suffix_and_format_must_agree(runner, tmp_path):
    script = write(tmp_path, SHORT)
    result = runner.invoke(main, ["build", str(script), "-o", "t.mp3", "--format", "wav"])
    assert result.exit_code == 2 and "--format is wav" in result.output
    assert not list(tmp_path.glob("t.*"))
    assert runner.invoke(main, ["build", str(script), "-o", ""]).exit_code == 2
    flac = runner.invoke(main, ["build", str(script), "-o", "t.flac"])
    assert flac.exit_code == 2 and ".flac is not one of" in flac.output


def test_a_folder_as_script_is_an_input_error(runner, tmp_path):
    result = runner.invoke(main, ["validate", str(tmp_path)])
    assert_one_line_error(result, str(tmp_path), "is a folder")


def test_design_example_line_with_a_colon_reads_as_text(runner, tmp_path):
    text = SHORT + "    reminders:\n      - No swinging: slow and controlled.\n      - Time: 1:30\n"
    script = write(tmp_path, text)
    assert runner.invoke(main, ["validate", str(script)]).exit_code == 0
    reminders = load_programme(script).exercises[0].reminders
    assert reminders == ("No swinging: slow and controlled.", "Time: 1:30")  # not YAML's 90
    inline = write(tmp_path, SHORT.replace("title: Short check", "title: {Week: 1}"), "i.yaml")
    assert_one_line_error(runner.invoke(main, ["validate", str(inline)]), "quote a line")


@pytest.mark.e2e
def test_unknown_voice_name_is_located_in_the_programme(runner, tmp_path):
    script = write(tmp_path, SHORT.replace("{engine: fake}", "{engine: espeak-ng, name: elvish}"))
    result = runner.invoke(main, ["plan", str(script)])
    assert_one_line_error(result, f'{script}:2:8: voice: unknown espeak-ng voice "elvish"')
    flag = runner.invoke(
        main,
        [
            "plan",
            str(write(tmp_path, SHORT, "q.yaml")),
            "--engine",
            "espeak-ng",
            "--voice",
            "elvish",
        ],
    )
    assert_one_line_error(flag, 'error: unknown espeak-ng voice "elvish"')


@pytest.mark.e2e
def test_an_output_that_looks_like_an_ffmpeg_protocol_is_a_file(runner, tmp_path):
    script = write(tmp_path, SHORT)
    result = runner.invoke(main, ["build", str(script), "-o", "pipe:/x.mp3", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b""  # nothing of the track went to stdout
    folder = tmp_path / "pipe:"
    written = ["x.handout.html", "x.html", "x.mp3", "x.timeline.json", "x.vtt"]
    assert sorted(p.name for p in folder.iterdir()) == written
    assert (folder / "x.mp3").read_bytes()[:3] in (b"ID3", b"\xff\xfb")


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("/dev/full", "/dev/full: it is a device, not a file"),
        ("/dev/null", "/dev/null: it is a device, not a file"),
        ("folder", "'folder' is a directory"),  # click's own check
        ("folder.mp3", "'folder.mp3' is a directory"),
        ("track", "track.mp3: it is a folder, not a file"),  # the name the suffix makes
    ],
)
def test_devices_and_folders_are_refused_as_output(runner, tmp_path, target, said):
    script = write(tmp_path, SHORT)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.mp3").mkdir()
    (tmp_path / "track.mp3").mkdir()
    result = runner.invoke(main, ["build", str(script), "-o", target])
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert not Path("/dev/full.mp3").exists() and not Path("/dev/null.mp3").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "folder",
        "folder.mp3",
        "p.yaml",
        "track.mp3",
    ]


def test_a_sidecar_name_taken_by_a_device_is_refused(runner, tmp_path):
    script = write(tmp_path, SHORT)
    os.symlink("/dev/full", tmp_path / "x.vtt")
    result = runner.invoke(main, ["build", str(script), "-o", "x.mp3"])
    assert result.exit_code == 2, result.output
    assert "x.vtt: it is a device, not a file" in result.stderr
    assert not (tmp_path / "x.mp3").exists()
