"""End to end: `tones: none` builds a real MP3 whose timeline has no tone events and
whose decoded audio is silent wherever a tone would sound, with the phase words
spoken on time; the same programme with tones is the control (its tones are heard)."""

from __future__ import annotations

import json
import wave

import numpy as np
import pytest
from audio_helpers import SR, decode, rms_db
from cli_helpers import run_cli

from voicecoach.timeline.tone_lengths import TONE_LENGTHS

pytestmark = pytest.mark.e2e

PROGRAMME = """\
title: Voice only
voice: {{engine: fake}}
tones: {tones}
exercises:
  - name: Squat
    sides: [left, right]
    reps: 3
    tempo: 2-1-2
    count: start
    side_rest: 8s
    countdown: 2
  - name: Plank
    work: 12s
    countdown: 2
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, tuple[dict, np.ndarray]]:
    """Both programmes built to MP3: tones name -> (timeline JSON, decoded samples)."""
    root = tmp_path_factory.mktemp("tones-none")
    found = {}
    for tones in ("none", "standard"):
        script = root / f"{tones}.yaml"
        script.write_text(PROGRAMME.format(tones=tones))
        out = root / "out" / f"{tones}.mp3"
        result = run_cli("build", str(script), "-o", str(out), cache=root / "cache", cwd=root)
        assert result.returncode == 0, result.stderr
        document = json.loads(out.with_suffix(".timeline.json").read_text())
        found[tones] = (document, decode(out))
    return found


def clear_of_speech(document: dict, start: float, end: float, margin: float = 0.03) -> bool:
    """Whether [START, END] is MARGIN away from every spoken line."""
    return all(
        e["end"] + margin <= start or end <= e["start"] - margin
        for e in document["events"]
        if e["kind"] == "speech"
    )


def level(samples: np.ndarray, start: float, end: float) -> float:
    return rms_db(samples[round(start * SR) : round(end * SR)])


def silences(document: dict, margin: float = 0.03) -> list[tuple[float, float]]:
    """The stretches between spoken lines (MARGIN in from each line)."""
    edges = [0.0]
    for e in document["events"]:
        if e["kind"] == "speech":
            edges += [e["start"] - margin, e["end"] + margin]
    edges.append(document["duration"])
    pairs = zip(edges[::2], edges[1::2], strict=True)
    return [(a, b) for a, b in pairs if b - a > 0.05]


def test_no_tone_events_and_silence_between_the_lines(built):
    document, samples = built["none"]
    assert {e["kind"] for e in document["events"]} == {"speech"}
    assert {m["mark"] for m in document["marks"]} == set(TONE_LENGTHS)
    gaps = silences(document)
    assert sum(b - a for a, b in gaps) > 30  # rests, holds and phases are mostly silence
    for start, end in gaps:  # no tone (nor anything else) sounds between the words
        assert level(samples, start, end) < -70, (start, end, level(samples, start, end))
    quiet = [
        m
        for m in document["marks"]
        if clear_of_speech(document, m["start"], m["start"] + TONE_LENGTHS[m["mark"]])
    ]
    assert {m["mark"] for m in quiet} >= {"end"}  # where the control build's tones are heard


def test_the_control_build_has_its_tones_where_the_marks_are(built):
    document, samples = built["standard"]
    tones = [e for e in document["events"] if e["kind"] == "tone"]
    assert "marks" not in document
    assert [t["tone"] for t in tones] == [m["mark"] for m in built["none"][0]["marks"]]
    heard = [
        (t["start"] + 0.02, t["end"])
        for t in tones
        if clear_of_speech(document, t["start"], t["end"])
    ]
    assert len(heard) >= 3
    for start, end in heard:
        assert level(samples, start, end) > -40, (start, level(samples, start, end))


def test_each_phase_word_is_spoken_as_its_phase_starts(built):
    document, samples = built["none"]
    speech = {round(e["start"], 6): e for e in document["events"]}
    words = {"go": "Up.", "up": "Up.", "hold": "Hold.", "down": "Down."}
    phases = [m for m in document["marks"] if m["exercise"] == 0 and m["mark"] in words]
    assert len(phases) == 2 * 3 * 3  # two sides, three reps, three phases each
    for mark in phases:
        said = speech[round(mark["start"], 6)]
        assert said["text"] == words[mark["mark"]] and said["side"] == mark["side"], mark
        assert level(samples, said["start"] + 0.02, said["end"] - 0.02) > -40, said
        assert level(samples, said["start"] - 0.2, said["start"] - 0.02) < -70, said  # on time
    go = next(m for m in document["marks"] if m["exercise"] == 1 and m["mark"] == "go")
    assert speech[round(go["start"], 6)]["text"] == "Go."
    counted = [m for m in document["marks"] if m["mark"] == "count"]
    assert counted and all(speech[round(m["start"], 6)]["text"].isdigit() for m in counted)
    said = [e["text"] for e in document["events"]]
    assert "Follow my voice: each word starts the next part of the movement." in said


def test_validate_and_play_as_built(tmp_path):
    """validate accepts it; `play --sink wav:` gives the samples a WAV build has."""
    script = tmp_path / "none.yaml"
    script.write_text(PROGRAMME.format(tones="none"))
    cache = tmp_path / "cache"
    ok = run_cli("validate", str(script), cache=cache, cwd=tmp_path)
    assert ok.returncode == 0 and "ok: " in ok.stdout, ok.stderr
    built = run_cli("build", str(script), "-q", "-o", "built.wav", cache=cache, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    played = run_cli("play", str(script), "--sink", "wav:played.wav", cache=cache, cwd=tmp_path)
    assert played.returncode == 0, played.stderr
    with wave.open(str(tmp_path / "built.wav")) as a, wave.open(str(tmp_path / "played.wav")) as b:
        left, right = a.readframes(a.getnframes()), b.readframes(b.getnframes())
    assert len(left) > SR and left == right
