"""The post-encode measurement: `TruePeakMeter` streams what `true_peak_envelope` measures
of a whole signal, `measure_output` decodes real files with ffmpeg (short WAVs and
an Opus file here; real builds against ffmpeg's own meters are in test_measure_e2e.py),
and `measure_kept` keeps what it measured of a file by its bytes."""

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

from voicecoach.audio.loudness import LoudnessMeter, TruePeakMeter, true_peak_envelope
from voicecoach.audio.measure import (
    Measured,
    _sounding_samples,
    measure_kept,
    measure_output,
    measure_whole,
    sounding_frames,
)
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


def speech_with_silences(seed: int, sound_first: bool) -> np.ndarray:
    """~14 s of int16: speech-like bursts between stretches of digital silence (short
    and long ones, as a session's counts and rests), starting with sound or silence."""
    rng = np.random.default_rng(seed)
    parts = [] if sound_first else [np.zeros(round(rng.uniform(0.3, 2.0) * SR), np.float32)]
    for k in range(6):
        parts.append(speech_like(rng.uniform(0.4, 1.5), -18.0 + 3 * k % 7, seed + k))
        parts.append(np.zeros(round(rng.choice([0.05, 0.2, 0.9, 3.0]) * SR), np.float32))
    parts.append(speech_like(0.7, -15.0, seed + 9))  # ends with sound
    return np.frombuffer(pcm16(np.concatenate(parts)), dtype="<i2")


def lame(samples: np.ndarray, out: Path, *extra: str) -> Path:
    """SAMPLES (int16, mono) encoded as the build does (``-reservoir 0``) unless EXTRA
    says otherwise."""
    command = ["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", str(SR), "-ac", "1"]
    command += ["-i", "-", "-c:a", "libmp3lame", "-id3v2_version", "0", "-b:a", "96k", *extra]
    subprocess.run([*command, str(out)], input=samples.tobytes(), check=True)
    return out


def whole_decode(path: Path) -> np.ndarray:
    """Every sample ffmpeg decodes PATH to (float mono)."""
    command = ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(command, capture_output=True, check=True).stdout, "<f4")


@needs_ffmpeg
@pytest.mark.parametrize("seed, sound_first", [(1, True), (2, False), (3, True)])
def test_an_mp3_decoded_where_it_sounds_is_the_whole_decode_bit_for_bit(
    tmp_path, seed, sound_first
):
    """The runs `sounding_frames` finds, decoded after the empty frame before each and
    laid out at their samples with zeros between, are every sample of ffmpeg decoding
    the whole file, bit for bit; so the measurement is the same (but for the last bits
    of the meters' matrix products, which depend on how many rows a block has)."""
    mp3 = lame(speech_with_silences(seed, sound_first), tmp_path / "t.mp3", "-reservoir", "0")
    frames = sounding_frames(mp3)
    assert frames is not None
    assert 1 < len(frames.runs) < len(frames.offsets) - 1  # some frames are skipped
    whole = whole_decode(mp3)
    assert len(whole) == frames.samples
    rebuilt = np.zeros(frames.samples, np.float32)
    for start, block in _sounding_samples(mp3, frames):
        assert not rebuilt[start : start + len(block)].any()  # in order, never twice
        rebuilt[start : start + len(block)] = block
    assert np.array_equal(rebuilt, whole)
    assert_same(measure_output(mp3), measure_whole(mp3))


def assert_same(measured: Measured, expected: Measured) -> None:
    """MEASURED is EXPECTED to within 1e-9 LU and dB."""
    assert measured.lufs == pytest.approx(expected.lufs, abs=1e-9)
    assert measured.true_peak == pytest.approx(expected.true_peak, abs=1e-9)


@needs_ffmpeg
def test_mp3s_the_frames_cannot_be_planned_for_are_decoded_whole(tmp_path):
    """The bit reservoir on (frames borrow bytes from the ones before), no Info frame,
    stereo, or an Info frame another encoder wrote (ffmpeg does not trim its delay):
    not planned, and measured by decoding the whole file as any other."""
    samples = speech_with_silences(4, True)
    reservoir = lame(samples, tmp_path / "reservoir.mp3")
    no_info = lame(samples, tmp_path / "no-info.mp3", "-reservoir", "0", "-write_xing", "0")
    stereo = lame(samples, tmp_path / "stereo.mp3", "-reservoir", "0", "-ac", "2")
    other = lame(samples, tmp_path / "other.mp3", "-reservoir", "0")
    data = bytearray(other.read_bytes())
    tag = data.index(b"Lavc", 0, 1000)  # another encoder's tag: ffmpeg trims nothing
    data[tag : tag + 4] = b"XING"
    other.write_bytes(bytes(data))
    for path in (reservoir, no_info, stereo, other):
        assert sounding_frames(path) is None, path.name
        assert_same(measure_output(path), measure_whole(path))


@needs_ffmpeg
def test_a_tagged_mp3_is_planned_past_its_tags(tmp_path):
    """ID3v2 before the frames (the chapters a build writes), ID3v1 after: still planned,
    the same measurement as the untagged file."""
    from mutagen.id3 import ID3, TIT2

    mp3 = lame(speech_with_silences(5, True), tmp_path / "t.mp3", "-reservoir", "0")
    plain = measure_whole(mp3)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Measured"))
    tags.save(mp3, v1=2)
    assert mp3.read_bytes()[:3] == b"ID3" and mp3.read_bytes()[-128:][:3] == b"TAG"
    assert sounding_frames(mp3) is not None
    assert_same(measure_output(mp3), plain)


@needs_ffmpeg
def test_a_silent_mp3_measures_as_silence_without_decoding(tmp_path):
    mp3 = lame(np.zeros(3 * SR, np.int16), tmp_path / "zeros.mp3", "-reservoir", "0")
    frames = sounding_frames(mp3)
    assert frames is not None and frames.runs == ()
    assert measure_output(mp3) == Measured(-math.inf, -math.inf)


@settings(max_examples=60, deadline=None)
@given(
    pieces=st.lists(st.tuples(st.booleans(), st.integers(0, 3 * SR // 10)), min_size=1, max_size=8),
    seed=st.integers(0, 1000),
)
def test_skipping_zeros_is_feeding_them(pieces, seed):
    """``skip(n)`` leaves both meters as feeding n zeros would: the same 100 ms segment
    powers (a zero segment's is exactly 0; the others to the last bits of a matrix
    product, which depend on how many segments a block has) and the same true peak."""
    rng = np.random.default_rng(seed)
    fed, skipped = LoudnessMeter(SR), LoudnessMeter(SR)
    fed_peaks, skipped_peaks = TruePeakMeter(), TruePeakMeter()
    for silent, count in pieces:
        block = (
            np.zeros(count, np.float32)
            if silent
            else faded((rng.standard_normal(count) * 0.2).astype(np.float32))
        )
        fed.feed(block)
        fed_peaks.feed(block)
        if silent:
            skipped.skip(count)
            skipped_peaks.skip(count)
        else:
            skipped.feed(block)
            skipped_peaks.feed(block)
    powers, skipped_powers = fed.segment_powers(), skipped.segment_powers()
    assert len(powers) == len(skipped_powers)
    assert np.array_equal(powers == 0, skipped_powers == 0)
    assert np.allclose(powers, skipped_powers, rtol=1e-12, atol=0)
    assert fed_peaks.peak() == pytest.approx(skipped_peaks.peak(), rel=1e-12)


@needs_ffmpeg
def test_a_kept_measurement_is_read_back_for_the_same_bytes_only(tmp_path, monkeypatch):
    """`measure_kept` measures a file once, keeps that under its bytes' digest, and reads
    it back for a file of the same bytes anywhere (no decode); a file of other bytes, or a
    kept entry that is not one it writes, is measured again."""
    import voicecoach.audio.measure as measure

    store = tmp_path / "levels"
    mp3 = lame(speech_with_silences(6, True), tmp_path / "t.mp3", "-reservoir", "0")
    first = measure_kept(mp3, store)
    assert first == measure_output(mp3)
    (kept,) = store.rglob("*.npy")
    decodes = []
    real = measure.measure_output
    monkeypatch.setattr(measure, "measure_output", lambda path: decodes.append(path) or real(path))
    copy = tmp_path / "copy.mp3"
    copy.write_bytes(mp3.read_bytes())
    assert measure_kept(copy, store) == first and decodes == []
    quieter = lame(speech_with_silences(6, True) // 2, tmp_path / "q.mp3", "-reservoir", "0")
    assert measure_kept(quieter, store).lufs == pytest.approx(first.lufs - 6.02, abs=0.1)
    assert decodes == [quieter]
    for damage in (b"", kept.read_bytes()[:-8] + np.array([math.nan]).tobytes()):
        kept.write_bytes(damage)
        assert measure_kept(mp3, store) == first
    assert decodes == [quieter, mp3, mp3]
    assert measure_kept(mp3, None) == first and decodes[-1] == mp3  # no store: measured


@needs_ffmpeg
def test_silence_is_kept_as_silence(tmp_path):
    zeros = write_wav(tmp_path / "zeros.wav", np.zeros(SR, np.float32))
    assert measure_kept(zeros, tmp_path) == Measured(-math.inf, -math.inf)
    assert measure_kept(zeros, tmp_path) == Measured(-math.inf, -math.inf)
