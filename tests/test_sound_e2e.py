"""End to end: loudness and true peak measured by ffmpeg on the decoded files, with
and without music; the depth of the ducking; chapters with music; `play --sink wav:`
against the built track; library formats, bitrate, author, music. (The voice-only
rhythm, `tones: none`, is in test_tones_none_e2e.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import audio_helpers
import numpy as np
import pytest
from audio_helpers import SR, decode, ffprobe, make_music
from cli_helpers import run_cli
from library_helpers import build as library_build
from mutagen.id3 import ID3

pytestmark = pytest.mark.e2e

REAL = """\
title: Knee, week 2
author: Physio Jansen
voice: {engine: pyttsx3, name: en-gb, rate: 170}
exercises:
  - name: Quad set
    reps: 3
    hold: 5s
    relax: 3s
    countdown: 2
  - name: Squat
    sets: 2
    reps: 4
    tempo: 1-1-2
    rest: 8s
    countdown: 2
"""

FAKE = """\
title: Soft tones
voice: {engine: fake}
tones: soft
music_duck: 15
exercises:
  - name: Squat
    reps: 4
    tempo: 2-1-3
    countdown: 2
  - name: Plank
    work: 12s
    countdown: 2
"""


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 measures the decoded file."""
    return audio_helpers.ebur128(path, peak="true")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sound")
    (root / "knee.yaml").write_text(REAL)
    (root / "voice.yaml").write_text(FAKE)
    make_music(root / "chord.ogg", 7.0)  # shorter than the sessions: it loops
    make_music(root / "high.mp3", 120.0, freqs=(2000.0, 2500.0), channels=1)  # no loop
    return root


def build(folder: Path, *args: str) -> subprocess.CompletedProcess:
    result = run_cli("build", *args, cache=folder / "cache", cwd=folder)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("speech.mp3", ()),
        ("music.mp3", ("--music", "chord.ogg")),
        ("music.m4a", ("--music", "chord.ogg")),
        ("music.ogg", ("--music", "chord.ogg")),
        ("quiet.mp3", ("--music", "chord.ogg", "--loudness", "-20", "--bitrate", "64")),
    ],
)
def test_loudness_and_true_peak_of_the_decoded_track(folder, name, args):
    build(folder, "knee.yaml", "-q", "-o", f"out/{name}", *args)
    lufs, peak = ebur128(folder / "out" / name)
    target = -20.0 if "--loudness" in args else -16.0
    print(f"{name}: {lufs:.1f} LUFS, true peak {peak:.1f} dBTP")
    assert abs(lufs - target) <= 1.0
    assert peak <= -1.0


def test_mp3_tags_name_the_author(folder):
    build(folder, "knee.yaml", "-q", "-o", "out/tags.mp3")
    tags = ID3(folder / "out" / "tags.mp3")
    assert str(tags["TPE1"]) == str(tags["TPE2"]) == "Physio Jansen"


@pytest.mark.parametrize("fmt", ["m4a", "ogg"])
def test_chapters_and_tags_survive_with_music(folder, fmt):
    build(folder, "knee.yaml", "-q", "-o", f"out/chapters.{fmt}", "--music", "chord.ogg")
    info = ffprobe(folder / "out" / f"chapters.{fmt}")
    timeline = json.loads((folder / "out" / "chapters.timeline.json").read_text())
    titles = [c["tags"]["title"] for c in info["chapters"]]
    assert titles == [c["title"] for c in timeline["chapters"]]
    tags = {k.lower(): v for k, v in info["format"].get("tags", {}).items()}
    if fmt == "ogg":
        tags.update({k.lower(): v for k, v in info["streams"][0].get("tags", {}).items()})
    assert tags["artist"] == "Physio Jansen"


def _band_db(audio: np.ndarray, start: float, end: float, low: float, high: float) -> float:
    """Level (dB) of AUDIO[start:end] in the band LOW..HIGH Hz."""
    chunk = audio[round(start * SR) : round(end * SR)]
    window = np.hanning(len(chunk))
    spectrum = np.fft.rfft(chunk * window)
    freqs = np.fft.rfftfreq(len(chunk), 1 / SR)
    band = (freqs >= low) & (freqs <= high)
    power = 2 * np.sum(np.abs(spectrum[band]) ** 2) / (len(chunk) * np.sum(window**2))
    return 10 * np.log10(power + 1e-20)


def test_ducking_depth_on_the_decoded_track(folder):
    """The fake voice is 200-400 Hz sines and the soft tones pure notes under 1 kHz, so
    the 2-2.5 kHz band of the decoded MP3 is the music alone: under lines and between."""
    build(folder, "voice.yaml", "-q", "-o", "out/duck.mp3", "--music", "high.mp3")
    audio = decode(folder / "out" / "duck.mp3")
    timeline = json.loads((folder / "out" / "duck.timeline.json").read_text())
    lines = [(e["start"], e["end"]) for e in timeline["events"] if e["kind"] == "speech"]
    under, between = [], []
    for (s, e), (next_s, _) in zip(lines, lines[1:], strict=False):
        if e - s > 0.6:
            under.append(_band_db(audio, s + 0.1, e - 0.1, 1900, 2600))
        if next_s - e > 2.5 and e > 3.0:  # a long gap, after the fade-in
            between.append(_band_db(audio, e + 0.8, next_s - 0.8, 1900, 2600))
    assert under and between
    depth = np.median(between) - np.median(under)
    print(f"ducking depth: {depth:.1f} dB ({len(under)} lines, {len(between)} gaps)")
    assert depth >= 12.0
    assert depth == pytest.approx(15.0, abs=1.5)


def _wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path)) as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")


def test_play_with_music_equals_the_built_track(folder):
    build(folder, "voice.yaml", "-q", "-o", "out/built.wav", "--music", "chord.ogg")
    played = run_cli(
        "play",
        "voice.yaml",
        "--sink",
        "wav:out/played.wav",
        "--music",
        "chord.ogg",
        cache=folder / "cache",
        cwd=folder,
    )
    assert played.returncode == 0, played.stderr
    built, live = (
        _wav_samples(folder / "out" / "built.wav"),
        _wav_samples(folder / "out" / "played.wav"),
    )
    assert len(built) == len(live) and np.array_equal(built, live)
    assert np.max(np.abs(built)) > 1000  # not two silent files


_PEAK_BUILD = """
import sys
from pathlib import Path
from voicecoach import pipeline
script, music, cache, out = sys.argv[1:5]
programme = pipeline.load(script, music=music or None)
speech = pipeline.open_cache(programme, cache, 1)
timeline = pipeline.plan(programme, speech)
pipeline.build(programme, timeline, speech, Path(out), "mp3", page=False)
print(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
"""


def test_a_long_music_file_does_not_grow_the_build(folder):
    """Five minutes of stereo music under a short session: the build peaks within a
    few MB of the same build without music (decoded whole, the pass and pydub's copies
    of it were over 100 MB), since the bed is decoded and read back a block at a time."""
    make_music(folder / "long.ogg", 300.0)

    def peak_kb(music: str) -> int:
        command = [sys.executable, "-c", _PEAK_BUILD, "voice.yaml", music, "cache", "o.mp3"]
        done = subprocess.run(command, capture_output=True, text=True, cwd=folder, check=False)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.split()[-1])

    quiet, with_music = peak_kb(""), peak_kb("long.ogg")
    print(f"peak memory {quiet / 1024:.0f} MB, with 5 min of music {with_music / 1024:.0f} MB")
    assert with_music < quiet + 15_000


def test_library_format_bitrate_author_and_music(folder):
    src = folder / "lib"
    (src / "programmes").mkdir(parents=True)
    make_music(src / "bed.mp3", 3.0)
    (src / "programmes" / "voice.yaml").write_text(FAKE + "music: ../bed.mp3\n")
    (src / "programmes" / "plain.yaml").write_text(FAKE.replace("tones: soft\n", ""))
    cache = folder / "cache"
    first = library_build(src, cache, "--format", "ogg", "--bitrate", "48", "--author", "Clinic")
    assert first.code == 0, first.stderr
    out = src / "output"
    info = ffprobe(out / "plain.ogg")
    assert int(info["format"]["bit_rate"]) < 70000
    tags = {k.lower(): v for k, v in info["streams"][0].get("tags", {}).items()}
    tags.update({k.lower(): v for k, v in info["format"].get("tags", {}).items()})
    assert tags["artist"] == "Clinic"
    again = library_build(src, cache, "--format", "ogg", "--bitrate", "48", "--author", "Clinic")
    assert "built 0, up to date 2" in again.stdout
    make_music(src / "bed.mp3", 3.0, freqs=(300.0,))  # the music changed: that track only
    changed = library_build(src, cache, "--format", "ogg", "--bitrate", "48", "--author", "Clinic")
    assert "built 1, up to date 1" in changed.stdout, changed.stdout
    assert "voice.ogg" in changed.stdout
    mp3 = library_build(src, cache, "--author", "Clinic")  # another format: all rebuilt
    assert "built 2, up to date 0" in mp3.stdout
    assert sorted(p.name for p in out.glob("*.ogg")) == []
    assert str(ID3(out / "voice.mp3")["TPE1"]) == "Clinic"
