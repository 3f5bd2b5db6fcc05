"""Resampling, silence trimming and WAV reading used on every engine's output."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from voicecoach.speech.dsp import finish, resample, trim_silence
from voicecoach.wavio import WavFormatError, build_wav, mono_float32, parse_wav, pcm16


def sine(freq: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("rate_in", [22050, 16000, 48000, 24000])
def test_resample_keeps_a_tone_exact_in_time_and_level(rate_in: int) -> None:
    out = resample(sine(1000, rate_in, 0.5), rate_in, 44100)
    assert abs(len(out) - round(rate_in * 0.5) * 44100 / rate_in) < 1
    expected = sine(1000, 44100, 0.5)[: len(out)]
    middle = slice(2000, len(out) - 2000)  # away from the edges of the finite signal
    assert np.max(np.abs(out[middle] - expected[middle])) < 1e-4  # no delay, no gain error


@pytest.mark.parametrize("freq", [3000, 8000, 9500, 10000])
def test_resample_removes_images_above_the_old_nyquist(freq: int) -> None:
    """A voice's top octave (8-10 kHz at 22050 Hz) leaves no image at 12-14 kHz."""
    out = resample(sine(freq, 22050, 1.0), 22050, 44100)
    spectrum = np.abs(np.fft.rfft(out * np.blackman(len(out))))
    freqs = np.fft.rfftfreq(len(out), 1 / 44100)

    def peak(at: float) -> float:
        return float(spectrum[np.abs(freqs - at) < 30].max())

    assert peak(22050 - freq) < peak(freq) * 10 ** (-100 / 20)  # the zero-stuffing mirror
    assert peak(freq) == pytest.approx(0.5 * np.sum(np.blackman(len(out))) / 2, rel=1e-3)


def test_resample_same_rate_is_identity() -> None:
    x = sine(440, 44100, 0.1)
    assert np.array_equal(resample(x, 44100, 44100), x)


def test_trim_cuts_silence_keeps_margin_and_fades() -> None:
    rate = 44100
    tone = sine(440, rate, 1.0)
    padded = np.concatenate([np.zeros(rate // 2), tone, np.zeros(rate)]).astype(np.float32)
    out = trim_silence(padded, rate)
    assert len(tone) <= len(out) <= len(tone) + round(0.012 * rate)
    assert out[0] == 0.0 and abs(out[-1]) < 1e-3  # faded in and out: no click
    assert np.sqrt(np.mean(out[: rate // 100] ** 2)) > 0.05  # speech within the first 10 ms
    assert np.sqrt(np.mean(out[-rate // 100 :] ** 2)) > 0.05


def test_trim_of_silence_is_empty_and_of_nothing_is_nothing() -> None:
    assert len(trim_silence(np.zeros(1000, dtype=np.float32), 44100)) == 0
    assert len(trim_silence(np.zeros(0, dtype=np.float32), 44100)) == 0


def test_finish_makes_mono_44100_trimmed_clips() -> None:
    stereo = np.stack([sine(500, 22050, 0.5), sine(500, 22050, 0.5)], axis=1)
    stereo = np.concatenate([np.zeros((22050, 2), np.float32), stereo])
    clip = finish(stereo, 22050)
    assert clip.sample_rate == 44100
    assert clip.samples.ndim == 1
    assert 0.5 <= clip.duration <= 0.52


def test_parse_wav_reads_what_the_wave_module_writes() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(pcm16(sine(300, 22050, 0.1)))
    wav = parse_wav(buf.getvalue())
    assert wav.sample_rate == 22050
    assert np.max(np.abs(wav.samples - sine(300, 22050, 0.1))) < 1e-4


def test_parse_wav_rejects_truncation_unless_lenient() -> None:
    raw = build_wav(pcm16(sine(300, 44100, 0.1)), 44100, {"test": b"abc"})
    assert parse_wav(raw).chunks == {"test": b"abc"}
    with pytest.raises(WavFormatError, match="truncated"):
        parse_wav(raw[:-100])
    assert len(parse_wav(raw[:-101], strict=False).samples) == 4410 - 51
    with pytest.raises(WavFormatError):
        parse_wav(b"RIFX" + raw[4:])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (np.array([0.5, -0.25], dtype=np.float64), [0.5, -0.25]),
        (np.array([[0.5, -0.5], [1.0, 0.0]], dtype=np.float32), [0.0, 0.5]),  # channels
        (np.array([16384, -32768], dtype=np.int16), [0.5, -1.0]),
        (np.array([[-32768, 0]], dtype=np.int16), [-0.5]),
        (np.array([128, 0, 255], dtype=np.uint8), [0.0, -1.0, 127 / 128]),  # centred
        (np.array([2**30], dtype=np.int32), [0.5]),
    ],
)
def test_mono_float32_scales_integers_and_averages_channels(raw, expected) -> None:
    mono = mono_float32(raw)
    assert mono.dtype == np.float32 and mono.ndim == 1
    assert mono.tolist() == pytest.approx(expected, abs=1e-7)


def test_mono_float32_leaves_float32_mono_as_it_is() -> None:
    samples = sine(440, 44100, 0.1)
    assert mono_float32(samples) is samples


def test_finish_takes_stereo_and_integer_engine_audio_alike() -> None:
    left = sine(440, 22050, 0.5)
    stereo = np.stack([left, left], axis=1)
    as_ints = np.rint(left * 32767).astype(np.int16)
    mono = finish(left, 22050).samples
    assert np.array_equal(finish(stereo, 22050).samples, mono)
    assert np.max(np.abs(finish(as_ints, 22050).samples - mono)) < 1e-3
