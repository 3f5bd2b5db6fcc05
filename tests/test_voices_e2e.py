"""End to end: the command engine, recorded lines and pronunciations in real builds.

Each test runs the real `voicecoach` command and reads the track back with ffmpeg.
Unrecorded lines are spoken by espeak-ng (fast), so the recordings stand out.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_helpers import decode, rms_db, speech_like
from cli_helpers import run_cli as build_e2e_cli

from voicecoach.script.model import Voice
from voicecoach.speech.audiofile import read_clip
from voicecoach.speech.espeak_engine import EspeakNgEngine

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None,
        reason="needs espeak-ng and ffmpeg",
    ),
]

SR = 44100

PROGRAMME = """\
title: Recorded check
voice: VOICE
intro: false
EXTRA
exercises:
  - name: Clamshell
    setup: [Lie on your side on the mat.]
    cues: [Open the top knee slowly.]
    sets: 1
    reps: 2
    tempo: 1-0-1
    countdown: 0
"""


def write_programme(
    folder: Path, voice: str = "{engine: espeak-ng, name: en-gb}", extra: str = ""
) -> Path:
    script = folder / "check.yaml"
    script.write_text(PROGRAMME.replace("VOICE", voice).replace("EXTRA", extra))
    return script


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`voicecoach ARGS` in CWD with its own phrase cache (CWD/cache)."""
    return build_e2e_cli(*args, cache=cwd / "cache", cwd=cwd)


def build(folder: Path, script: Path, name: str, *args: str) -> tuple[dict, np.ndarray, str]:
    result = run_cli("build", str(script), "-o", f"out/{name}.mp3", *args, cwd=folder)
    assert result.returncode == 0, result.stderr
    timeline = json.loads((folder / "out" / f"{name}.timeline.json").read_text())
    return timeline, decode(folder / "out" / f"{name}.mp3"), result.stderr


def speech_events(timeline: dict, text: str) -> list[dict]:
    return [e for e in timeline["events"] if e["kind"] == "speech" and e["text"] == text]


def located(audio: np.ndarray, clip: np.ndarray, expected: float, search: float = 0.05):
    """(lag in s, normalised correlation) of CLIP in AUDIO near EXPECTED seconds."""
    lo = max(0, round((expected - search) * SR))
    segment = audio[lo : lo + round(2 * search * SR) + len(clip)]
    corr = np.correlate(segment, clip, mode="valid")
    best = int(np.argmax(corr))
    window = segment[best : best + len(clip)]
    score = float(corr[best] / (np.linalg.norm(window) * np.linalg.norm(clip) + 1e-12))
    return (lo + best) / SR - expected, score


def encode(samples: np.ndarray, rate: int, channels: int, path: Path) -> None:
    """SAMPLES (mono float) written by ffmpeg as PATH (format from its suffix)."""
    data = np.repeat(samples[:, None], channels, axis=1).astype("<f4").tobytes()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", str(channels)]
        + ["-i", "-", "-b:a", "192k", str(path)],
        input=data,
        check=True,
    )


# --- the command engine -------------------------------------------------------------

COMMAND_VOICE = (
    '{engine: command, name: en-gb, options: {run: "espeak-ng -v {voice} -w {out} {text}"}}'
)


def test_command_engine_driven_by_espeak_ng(tmp_path):
    script = write_programme(tmp_path, COMMAND_VOICE)
    timeline, audio, stderr = build(tmp_path, script, "command")
    assert "spoken by command en-gb" in stderr
    spoken = [e for e in timeline["events"] if e["kind"] == "speech"]
    assert len(spoken) >= 5
    espeak = EspeakNgEngine()
    for event in spoken:
        region = audio[round(event["start"] * SR) : round(event["end"] * SR)]
        assert rms_db(region) > -40, event["text"]
    # what the command wrote is espeak-ng's own voice, placed where the timeline says
    event = speech_events(timeline, "Lie on your side on the mat.")[0]
    same = espeak.synthesize(event["text"], Voice("espeak-ng", "en-gb"))
    assert abs(same.duration - (event["end"] - event["start"])) < 0.002
    lag, score = located(audio, same.samples[: SR // 2].astype(np.float64), event["start"])
    assert abs(lag) <= 0.010 and score > 0.9


def test_command_failure_is_one_line_naming_the_phrase(tmp_path):
    voice = "{engine: command, options: {run: \"sh -c 'exit 4' {text}\"}}"
    result = run_cli("build", str(write_programme(tmp_path, voice)), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "exit status 4" in lines[0] and '"' in lines[0]
    assert not (tmp_path / "output").exists() or not list((tmp_path / "output").iterdir())


# --- recordings ---------------------------------------------------------------------


def test_manifest_round_trips(tmp_path):
    script = write_programme(tmp_path)
    listed = run_cli("phrases", str(script), "--engine", "espeak-ng", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    made = run_cli("phrases", str(script), "--manifest", "rec", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert f"{len(lines)} lines to record ({len(lines)} new)" in made.stderr
    with open(tmp_path / "rec" / "phrases.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["text"] for r in rows] == lines
    assert rows[0]["file"].startswith("0001-") and rows[0]["file"].endswith(".wav")
    before = (tmp_path / "rec" / "phrases.csv").read_bytes()
    again = run_cli("phrases", str(script), "--manifest", "rec", cwd=tmp_path)
    assert "(0 new)" in again.stderr
    assert (tmp_path / "rec" / "phrases.csv").read_bytes() == before
    # a changed programme keeps every row and adds the new line after them
    script.write_text(script.read_text().replace("Open the top knee slowly.", "Open the knee."))
    changed = run_cli("phrases", str(script), "--manifest", "rec", cwd=tmp_path)
    assert "(1 new)" in changed.stderr
    with open(tmp_path / "rec" / "phrases.csv", newline="") as handle:
        rows2 = list(csv.DictReader(handle))
    assert rows2[: len(rows)] == rows
    assert rows2[-1]["text"] == "Open the knee."
    assert rows2[-1]["file"] == f"{len(rows) + 1:04d}-open-the-knee.wav"


@pytest.fixture
def recorded(tmp_path) -> dict:
    """A programme with two of its lines recorded: one as mp3, one as m4a."""
    script = write_programme(tmp_path, extra="recordings: rec")
    made = run_cli("phrases", str(script), "--manifest", "rec", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    with open(tmp_path / "rec" / "phrases.csv", newline="") as handle:
        rows = {r["text"]: r["file"] for r in csv.DictReader(handle)}
    takes = {}
    for text, suffix, rate, channels, seed in (
        ("Lie on your side on the mat.", ".mp3", 22050, 1, 1),
        ("Open the top knee slowly.", ".m4a", 48000, 2, 2),
    ):
        path = tmp_path / "rec" / Path(rows[text]).with_suffix(suffix)
        encode(speech_like(1.3, -20.0, seed), rate, channels, path)
        takes[text] = path
    return {"root": tmp_path, "script": script, "takes": takes, "rows": rows}


def test_recordings_in_mp3_and_m4a_are_in_the_track(recorded):
    timeline, audio, stderr = build(recorded["root"], recorded["script"], "rec")
    total = len({e["text"] for e in timeline["events"] if e["kind"] == "speech"})
    assert f"warning: {total - 2} of {total} lines have no recording in" in stderr
    for text, path in recorded["takes"].items():
        (event,) = speech_events(timeline, text)
        take = read_clip(path)
        # verbatim: the event lasts exactly as long as the trimmed take (never stretched)
        assert abs((event["end"] - event["start"]) - take.duration) < 0.002
        lag, score = located(audio, take.samples.astype(np.float64), event["start"])
        assert abs(lag) <= 0.010, (text, lag)
        assert score > 0.9, (text, score)
    # the unrecorded lines are the voice's
    listed = run_cli("phrases", str(recorded["script"]), "--missing", cwd=recorded["root"])
    assert listed.returncode == 0, listed.stderr
    missing = listed.stdout.splitlines()
    assert len(missing) == total - 2 and not set(missing) & set(recorded["takes"])
    for text in missing:
        for event in speech_events(timeline, text):
            region = audio[round(event["start"] * SR) : round(event["end"] * SR)]
            assert rms_db(region) > -40, text


def test_a_new_take_rebuilds(recorded):
    root, script = recorded["root"], recorded["script"]
    first, audio1, _ = build(root, script, "take1")
    text = "Lie on your side on the mat."
    path = recorded["takes"][text]
    encode(speech_like(1.6, -20.0, seed=9), 22050, 1, path)
    second, audio2, _ = build(root, script, "take2")
    (event,) = speech_events(second, text)
    assert abs((event["end"] - event["start"]) - read_clip(path).duration) < 0.002
    new = read_clip(path).samples.astype(np.float64)
    lag, score = located(audio2, new, event["start"])
    assert abs(lag) <= 0.010 and score > 0.9
    (old_event,) = speech_events(first, text)
    _, old_score = located(audio1, new, old_event["start"])
    assert old_score < 0.5  # the first track had the old take


def test_recordings_option_overrides_and_missing_needs_a_folder(tmp_path):
    script = write_programme(tmp_path)
    refused = run_cli("phrases", str(script), "--missing", cwd=tmp_path)
    assert refused.returncode == 2 and "--missing needs" in refused.stderr
    run_cli("phrases", str(script), "--manifest", "takes", cwd=tmp_path)
    listed = run_cli("phrases", str(script), "--missing", "--recordings", "takes", cwd=tmp_path)
    assert listed.returncode == 0
    assert listed.stdout == run_cli("phrases", str(script), cwd=tmp_path).stdout


# --- pronunciation ------------------------------------------------------------------


def test_pronunciation_changes_the_audio_not_the_captions(tmp_path):
    plain_dir, respelt_dir = tmp_path / "plain", tmp_path / "respelt"
    plain_dir.mkdir()
    respelt_dir.mkdir()
    plain = write_programme(plain_dir)
    respelt = write_programme(respelt_dir, extra="pronounce: {mat: mattress, KNEE: elbow}")
    t1, a1, _ = build(plain_dir, plain, "plain")
    t2, a2, _ = build(respelt_dir, respelt, "respelt")
    vtt1 = (plain_dir / "out" / "plain.vtt").read_text()
    vtt2 = (respelt_dir / "out" / "respelt.vtt").read_text()
    said = [e["text"] for e in t2["events"] if e["kind"] == "speech"]
    assert "Lie on your side on the mat." in said and "mattress" not in vtt2
    (e1,) = speech_events(t1, "Lie on your side on the mat.")
    (e2,) = speech_events(t2, "Lie on your side on the mat.")
    assert e2["end"] - e2["start"] > e1["end"] - e1["start"] + 0.1  # "mattress" is longer
    engine = EspeakNgEngine()
    heard = engine.synthesize("Lie on your side on the mattress.", Voice("espeak-ng", "en-gb"))
    lag, score = located(a2, heard.samples[: SR // 2].astype(np.float64), e2["start"])
    assert abs(lag) <= 0.010 and score > 0.9
    # everything written stays the same words; only times move
    texts1 = [e["text"] for e in t1["events"] if e["kind"] == "speech"]
    assert said == texts1
    cues1 = [c.splitlines()[-1] for c in vtt1.strip().split("\n\n")[1:]]
    cues2 = [c.splitlines()[-1] for c in vtt2.strip().split("\n\n")[1:]]
    assert cues1 == cues2 == texts1
