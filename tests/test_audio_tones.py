"""Tone assets: exact lengths, click-free edges, distinct shapes, committed WAVs current."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.assets import ASSETS_DIR, load_tones, read_wav, tone_wav_bytes, wav_bytes
from voicecoach.audio.tone_synth import TONE_PEAK, generate_tone, generate_tones
from voicecoach.errors import AudioError
from voicecoach.timeline.tone_lengths import TONE_LENGTHS
from voicecoach.wavio import SAMPLE_RATE

REPO = Path(__file__).resolve().parents[1]


def _pitch(samples: np.ndarray) -> float:
    """Rough pitch from the zero-crossing rate (Hz)."""
    crossings = np.count_nonzero(np.diff(np.signbit(samples)))
    return crossings / 2 / (len(samples) / SAMPLE_RATE)


@pytest.mark.parametrize("name", list(TONE_LENGTHS))
def test_tone_has_exact_length_and_quiet_edges(name):
    tone = generate_tone(name)
    assert tone.dtype == np.float32
    assert len(tone) == round(TONE_LENGTHS[name] * SAMPLE_RATE)
    assert np.max(np.abs(tone)) == pytest.approx(TONE_PEAK, abs=1e-6)
    assert tone[0] == 0.0 and abs(tone[-1]) < 1e-4
    edge = round(0.001 * SAMPLE_RATE)
    assert np.max(np.abs(tone[:edge])) < 0.2 * TONE_PEAK  # raised-cosine fade-in
    assert np.max(np.abs(tone[-edge:])) < 0.2 * TONE_PEAK  # and fade-out
    assert np.max(np.abs(np.diff(tone))) < 0.2  # no steps anywhere


def test_up_rises_down_falls_hold_is_flat():
    tones = generate_tones()

    def halves(name):
        x = tones[name]
        third = len(x) // 3
        return _pitch(x[:third]), _pitch(x[-third:])

    up_start, up_end = halves("up")
    down_start, down_end = halves("down")
    hold_start, hold_end = halves("hold")
    assert up_end > up_start * 1.2
    assert down_end < down_start / 1.2
    assert hold_end == pytest.approx(hold_start, rel=0.1)


def test_tones_are_distinct():
    tones = generate_tones()
    pitches = {name: _pitch(x[: len(x) // 4]) for name, x in tones.items()}
    assert pitches["go"] > pitches["count"] > pitches["hold"] > pitches["end"]
    envelope = np.abs(tones["side"])
    window = round(0.02 * SAMPLE_RATE)
    peaks = [envelope[i : i + window].max() for i in range(0, len(envelope) - window, window)]
    assert peaks[14] > 2 * peaks[11]  # the second note of the chime starts at 0.26 s


def test_generation_is_deterministic():
    assert all(tone_wav_bytes(name) == tone_wav_bytes(name) for name in TONE_LENGTHS)


@pytest.mark.parametrize("name", list(TONE_LENGTHS))
def test_committed_wav_matches_generator(name):
    path = ASSETS_DIR / f"{name}.wav"
    assert path.is_file(), "run: python scripts/make_assets.py"
    committed = path.read_bytes()
    generated = tone_wav_bytes(name)
    assert committed[:44] == generated[:44]  # same header: 16-bit mono 44.1 kHz, same length
    # Same samples; one LSB of slack for libm differences between machines.
    a = np.frombuffer(committed[44:], dtype="<i2").astype(int)
    b = np.frombuffer(generated[44:], dtype="<i2").astype(int)
    assert np.max(np.abs(a - b)) <= 1


@pytest.mark.e2e  # the script twice, in fresh interpreters
def test_make_assets_script_is_byte_identical_on_rerun(tmp_path):
    script = REPO / "scripts" / "make_assets.py"
    for _ in range(2):
        subprocess.run(
            [sys.executable, str(script), str(tmp_path)], check=True, capture_output=True
        )
    for name in TONE_LENGTHS:
        data = (tmp_path / f"{name}.wav").read_bytes()
        assert data == tone_wav_bytes(name)
        with wave.open(str(tmp_path / f"{name}.wav")) as wav:
            assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 44100)


def test_load_tones_reads_committed_assets():
    tones = load_tones()
    assert set(tones) == set(TONE_LENGTHS)
    for name, clip in tones.items():
        assert clip.sample_rate == SAMPLE_RATE
        assert len(clip.samples) == round(TONE_LENGTHS[name] * SAMPLE_RATE)
        expected, _ = read_wav(ASSETS_DIR / f"{name}.wav")
        assert np.array_equal(clip.samples, expected)


def test_load_tones_generates_when_directory_is_absent(tmp_path):
    tones = load_tones(tmp_path / "missing")
    for name, clip in tones.items():
        assert np.array_equal(clip.samples, generate_tone(name))


def test_load_tones_rejects_a_wav_of_the_wrong_length(tmp_path):
    (tmp_path / "go.wav").write_bytes(wav_bytes(np.zeros(100, dtype=np.float32)))
    with pytest.raises(AudioError, match=r"go\.wav: expected 13230 samples.*make_assets"):
        load_tones(tmp_path)
