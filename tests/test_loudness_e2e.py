"""End to end: a track measures its --loudness, or the build says in one line what it
measures and what to ask for instead; the true peak stays under the ceiling at a low
bitrate too. Loudness and true peak are read back from the written files by ffmpeg's
ebur128. Short programmes: each build takes a few seconds."""

from __future__ import annotations

import re
from pathlib import Path

import audio_helpers
import pytest
from cli_helpers import run_cli

from voicecoach.audio import LOUDNESS_TOLERANCE

pytestmark = pytest.mark.e2e

SPEECH = """\
title: Loud speech
voice: {engine: pyttsx3, name: en-gb, rate: 170}
intro: false
exercises:
  - name: Squat
    reps: 3
    tempo: 1-1-2
    countdown: 2
"""

SINES = """\
title: Loud sines
voice: {engine: fake}
intro: false
exercises:
  - name: Squat
    reps: 3
    tempo: 1-1-2
    countdown: 2
"""

ROUNDING = 0.15
"""LU the warning's figure and ffmpeg's may differ: both round to 0.1, and the meters
agree within 0.05 (test_measure_e2e)."""

MISSED = re.compile(
    r"^warning: (?P<name>\S+) measures (?P<lufs>-?[\d.]+) LUFS, not the (?P<target>-?[\d.]+) "
    r"LUFS asked for: under the -1\.0 dBTP true-peak ceiling it can't be made louder "
    r"without crushing it; build with --loudness (?P<suggested>-?\d+) or lower$"
)


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 measures the decoded file."""
    return audio_helpers.ebur128(path, peak="true")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("loud")
    (root / "speech.yaml").write_text(SPEECH)
    (root / "sines.yaml").write_text(SINES)
    return root


def build(folder: Path, script: str, name: str, *args: str) -> list[str]:
    """Build SCRIPT into out/NAME (exit 0, no traceback); its warning lines."""
    result = run_cli(
        "build", script, "-q", "--no-page", "-o", f"out/{name}", *args,
        cache=folder / "cache", cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (folder / "out" / name).is_file()
    return warning_lines(result.stderr)


def warning_lines(stderr: str) -> list[str]:
    """The lines of STDERR that are warnings."""
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def test_a_reachable_loud_target_is_reached(folder):
    """Sines have little crest: -9 LUFS fits under -1 dBTP, and the track measures it."""
    warnings = build(folder, "sines.yaml", "sines.mp3", "--loudness", "-9")
    lufs, peak = ebur128(folder / "out" / "sines.mp3")
    assert warnings == []
    assert abs(lufs - -9.0) <= LOUDNESS_TOLERANCE + ROUNDING
    assert peak <= -1.0


def test_speech_too_loud_for_the_ceiling_says_so_and_its_advice_works(folder):
    """Speech at -9 LUFS under -1 dBTP would be crushed: the track is written at what
    the ceiling allows, one warning line says what it measures (as ffmpeg reads it too)
    and which --loudness to ask for, and a build asking for that reaches it."""
    warnings = build(folder, "speech.yaml", "loud.mp3", "--loudness", "-9")
    assert len(warnings) == 1, warnings
    said = MISSED.match(warnings[0])
    assert said, warnings[0]
    assert said["name"] == "loud.mp3" and float(said["target"]) == -9.0
    lufs, peak = ebur128(folder / "out" / "loud.mp3")
    assert lufs == pytest.approx(float(said["lufs"]), abs=ROUNDING)
    assert lufs < -9.0 - LOUDNESS_TOLERANCE
    assert peak <= -1.0

    suggested = said["suggested"]
    assert int(suggested) <= float(said["lufs"])
    assert build(folder, "speech.yaml", "advised.mp3", "--loudness", suggested) == []
    lufs, peak = ebur128(folder / "out" / "advised.mp3")
    assert abs(lufs - int(suggested)) <= LOUDNESS_TOLERANCE + ROUNDING
    assert peak <= -1.0


@pytest.mark.parametrize("loudness", ["-16", "-9"])
def test_at_32_kbits_the_true_peak_stays_under_the_ceiling(folder, loudness):
    """LAME at 32 kbit/s overshoots the PCM's true peak by ~3 dB: the build leaves room
    for it, so the decoded track is under -1 dBTP with no true-peak warning, and it
    measures its target or the build says what it measures."""
    name = f"low{loudness}.mp3"
    warnings = build(folder, "speech.yaml", name, "--loudness", loudness, "--bitrate", "32")
    lufs, peak = ebur128(folder / "out" / name)
    assert peak <= -1.0
    assert not any("true peak" in line for line in warnings), warnings
    if warnings:
        said = MISSED.match(warnings[0])
        assert len(warnings) == 1 and said, warnings
        assert float(said["lufs"]) == pytest.approx(lufs, abs=ROUNDING)
        assert lufs < float(loudness) - LOUDNESS_TOLERANCE + ROUNDING
    else:
        assert abs(lufs - float(loudness)) <= LOUDNESS_TOLERANCE + ROUNDING


def test_play_says_too_when_the_ceiling_limits_it(folder):
    """`play` has no file to measure: it warns from the calibration, as an upper bound
    (the mix's limiter only lowers it), and the WAV it plays into is no louder."""
    result = run_cli(
        "play", "speech.yaml", "--sink", "wav:played.wav", "--loudness", "-9",
        cache=folder / "cache", cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    warnings = warning_lines(result.stderr)
    assert len(warnings) == 1, warnings
    said = re.match(
        r"^warning: the session plays at (-?[\d.]+) LUFS at most, not the -9\.0 LUFS asked "
        r"for: under the -1\.0 dBTP true-peak ceiling it can't be made louder without "
        r"crushing it; play with --loudness (-?\d+) or lower$",
        warnings[0],
    )
    assert said, warnings[0]
    lufs, _ = ebur128(folder / "played.wav")
    assert lufs <= float(said[1]) + ROUNDING
    assert lufs < -9.0 - LOUDNESS_TOLERANCE


def test_library_build_reports_it_as_the_programme_s_warning(folder):
    """A worker's warning comes back with the programme's other warnings, starting
    with the programme's file, once."""
    (folder / "lib" / "programmes").mkdir(parents=True)
    (folder / "lib" / "programmes" / "speech.yaml").write_text(SPEECH)
    result = run_cli(
        "library", "build", "lib", "-q", "--loudness", "-9",
        cache=folder / "cache", cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    warnings = warning_lines(result.stderr)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("warning: lib/programmes/speech.yaml: speech.mp3 measures ")
    assert MISSED.match(warnings[0].replace("lib/programmes/speech.yaml: ", ""))
    lufs, peak = ebur128(folder / "lib" / "output" / "speech.mp3")
    assert lufs < -9.0 - LOUDNESS_TOLERANCE and peak <= -1.0
