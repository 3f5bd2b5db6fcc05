"""The post-encode measurement: `TruePeakMeter` streams what `true_peak_envelope` measures
of a whole signal, and `measure_output` decodes real files with ffmpeg (short WAVs and
an Opus file here; real builds against ffmpeg's own meters are in test_measure_e2e.py)."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_helpers import SR, speech_like
from hypothesis import given, settings
from hypothesis import strategies as st

from voicecoach.audio.loudness import TruePeakMeter, true_peak_envelope
from voicecoach.audio.measure import measure_output
from voicecoach.errors import AudioError
from voicecoach.wavio import build_wav, pcm16

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def streamed_peak(samples: np.ndarray, cuts: list[int]) -> float:
    """TruePeakMeter's peak of SAMPLES fed in the blocks between CUTS."""
    meter = TruePeakMeter()
    for block in np.split(samples, sorted(cuts)):
        meter.feed(block)
    return meter.peak()


def faded(samples: np.ndarray, seconds: float = 0.01) -> np.ndarray:
    """SAMPLES faded in and out (decoded audio has no edges: a signal that jumps to
    zero rings between the samples after its last one)."""
    n = min(round(seconds * SR), len(samples) // 2)
    ramp = np.sin(np.linspace(0.0, np.pi / 2, n)) ** 2
    out = np.array(samples, dtype=np.float32)
    out[:n] *= ramp
    out[len(out) - n :] *= ramp[::-1]
    return out


def sines(seconds: float, freqs: list[float], phases: list[float], rise: bool) -> np.ndarray:
    """A sum of sines (low-passed audio, as decoded files are), louder and louder if RISE
    (the sample peak so far, and so the meter's floor, keeps moving)."""
    t = np.arange(round(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * f * t + p) for f, p in zip(freqs, phases, strict=True))
    if rise:
        x = x * np.linspace(0.05, 1.0, len(t))
    return faded(0.9 * x / np.abs(x).max())


@settings(max_examples=50, deadline=None)
@given(
    freqs=st.lists(st.floats(50.0, 0.4 * SR), min_size=1, max_size=4),
    phase=st.floats(0.0, 2 * math.pi),
    rise=st.booleans(),
    cuts=st.lists(st.integers(0, SR // 10), max_size=6),
)
def test_the_streamed_true_peak_is_the_whole_signals(freqs, phase, rise, cuts):
    samples = sines(0.1, freqs, [phase * (k + 1) for k in range(len(freqs))], rise)
    whole = float(true_peak_envelope(samples).max())  # every sample oversampled
    assert streamed_peak(samples, cuts) == pytest.approx(whole, abs=1e-6)


def test_a_peak_between_samples_is_found():
    """A sine at a quarter of the rate, 45 degrees off: every sample is at 0.707 of the
    sine's peak (3 dB under), whatever block the peak falls in."""
    t = np.arange(SR) / SR
    samples = faded(0.5 * np.sin(2 * np.pi * SR / 4 * t + np.pi / 4))
    assert float(np.abs(samples).max()) == pytest.approx(0.5 / math.sqrt(2), rel=1e-5)
    assert streamed_peak(samples, [1000, 1017, 30000]) == pytest.approx(0.5, rel=0.005)


def test_speech_block_by_block_equals_whole():
    samples = speech_like(4.0, -12.0, 3)
    whole = float(true_peak_envelope(samples).max())
    cuts = list(range(0, len(samples), 4099))
    assert streamed_peak(samples, cuts) == pytest.approx(whole, abs=1e-6)


def test_an_empty_stream_peaks_at_zero():
    assert TruePeakMeter().peak() == 0.0


def write_wav(path: Path, samples: np.ndarray, rate: int = SR) -> Path:
    path.write_bytes(build_wav(pcm16(samples), rate))
    return path


def sine(freq: float, amplitude: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@needs_ffmpeg
@pytest.mark.parametrize("rate", [SR, 48000, 22050])
def test_a_997_hz_sine_measures_as_bs1770_says(tmp_path, rate):
    """BS.1770: a 997 Hz sine at 0 dBFS reads -3.01 LUFS, at any sample rate (the rate
    comes from the decoded stream's header)."""
    measured = measure_output(write_wav(tmp_path / "sine.wav", sine(997, 0.1, 5.0, rate), rate))
    assert measured.lufs == pytest.approx(-23.01, abs=0.05)
    assert measured.true_peak == pytest.approx(-20.0, abs=0.05)


@needs_ffmpeg
def test_opus_is_measured_as_decoded_at_48_khz(tmp_path):
    """An Opus file of a 44.1 kHz sine decodes at 48 kHz; loudness and peak are the sine's."""
    wav = write_wav(tmp_path / "sine.wav", sine(997, 0.25, 5.0, SR))
    opus = tmp_path / "sine.ogg"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "libopus", "-b:a", "96k", str(opus)],
        check=True,
    )
    measured = measure_output(opus)
    assert measured.lufs == pytest.approx(20 * math.log10(0.25) - 3.01, abs=0.1)
    assert measured.true_peak == pytest.approx(20 * math.log10(0.25), abs=0.2)


@needs_ffmpeg
def test_silence_measures_as_silence(tmp_path):
    """Nothing above BS.1770's -70 LUFS gate: -inf (ffmpeg prints -70), which write_track
    takes as silent (no gain correction)."""
    quiet = sine(997, 10 ** (-80 / 20), 3.0, SR)
    for name, samples in [("zeros", np.zeros(SR * 3, np.float32)), ("quiet", quiet)]:
        measured = measure_output(write_wav(tmp_path / f"{name}.wav", samples))
        assert measured.lufs == -math.inf, name
    assert measure_output(tmp_path / "zeros.wav").true_peak == -math.inf


@needs_ffmpeg
def test_a_file_ffmpeg_cannot_read_is_an_audio_error(tmp_path):
    bad = tmp_path / "-bad.mp3"
    bad.write_bytes(b"not audio at all" * 64)
    with pytest.raises(AudioError, match="cannot measure .*-bad.mp3"):
        measure_output(bad)
