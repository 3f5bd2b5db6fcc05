"""WAV files pydub misreads: float samples in the extensible format (as ffmpeg writes
them: pydub takes them for integers, loud noise), 64-bit ones (it fails). A recorded
clip, a tone folder or a command engine's output in them is read as the sound it holds."""

from __future__ import annotations

import struct
import threading

import numpy as np
import pytest

from voicecoach.audio import decode
from voicecoach.audio.assets import load_tone_folder
from voicecoach.audio.decode import DecodeError, decode_file, decode_stream
from voicecoach.errors import SpeechError
from voicecoach.speech.audiofile import read_samples
from voicecoach.timeline.tone_lengths import TONE_LENGTHS
from voicecoach.wavio import (
    EXTENSIBLE,
    FLOAT,
    PCM,
    build_wav,
    pcm16,
    pydub_misreads,
    read_sample_format,
)

SR = 44100
_FLOAT_GUID = bytes.fromhex("0300000000001000800000aa00389b71")


def _sine(seconds: float = 0.5, rate: int = SR, amplitude: float = 0.25) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440.0 * t)).astype(np.float64)


def _wav(
    samples: np.ndarray, rate: int, *, bits: int, tag: int, before: bytes = b"", rf64=False
) -> bytes:
    """A WAV of SAMPLES ((frames,) or (frames, channels)) as float of BITS, written with
    TAG (FLOAT, or EXTENSIBLE with the float sub-format); BEFORE: chunks before 'fmt ';
    RF64: as an RF64 file (its sizes in a 'ds64' chunk, the 32-bit ones all ones)."""
    frames = samples.reshape(len(samples), -1)
    channels = frames.shape[1]
    data = frames.astype("<f4" if bits == 32 else "<f8").tobytes()
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)
    if tag == EXTENSIBLE:
        fmt += struct.pack("<HHI", 22, bits, 0) + _FLOAT_GUID
    body = before + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if not rf64:
        body += b"data" + struct.pack("<I", len(data)) + data
        return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body
    body += b"data" + struct.pack("<I", 0xFFFFFFFF) + data
    riff = 4 + 36 + len(body)
    ds64 = b"ds64" + struct.pack("<IQQQI", 28, riff, len(data), len(frames), 0)
    return b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + ds64 + body


@pytest.mark.parametrize(
    ("bits", "tag", "channels"),
    [(32, FLOAT, 1), (64, FLOAT, 1), (32, EXTENSIBLE, 3), (32, FLOAT, 2)],
)
def test_float_samples_are_read_as_sound(tmp_path, bits, tag, channels):
    sine = _sine()
    frames = np.repeat(sine[:, None], channels, axis=1)
    path = tmp_path / "clip.wav"
    path.write_bytes(_wav(frames, SR, bits=bits, tag=tag))
    assert pydub_misreads(path)
    samples, rate = read_samples(path)  # recordings, a command engine's output
    assert rate == SR and samples.shape == (len(sine), channels)
    assert np.allclose(samples, frames, atol=1e-6)
    decoded = decode_file(path, SR)  # tone folders: through ffmpeg, to 16 bits
    assert len(decoded) == len(sine)
    assert np.abs(decoded - sine).max() < 2 / 32768
    streamed = np.concatenate(list(decode_stream(path, SR))) / 32768.0
    assert np.array_equal(streamed.astype(np.float32), decoded)


@pytest.mark.parametrize("bits", [32, 64])
def test_rf64_float_files_are_read_as_sound(tmp_path, bits):
    path = tmp_path / "long.wav"
    path.write_bytes(_wav(_sine(), SR, bits=bits, tag=EXTENSIBLE, rf64=True))
    assert read_sample_format(path) == (FLOAT, bits)
    samples, rate = read_samples(path)
    assert rate == SR and np.allclose(samples[:, 0], _sine(), atol=1e-6)
    assert np.abs(decode_file(path, SR) - _sine()).max() < 2 / 32768


def test_samples_that_are_not_numbers_are_one_clear_error(tmp_path):
    sine = _sine()
    sine[100] = np.nan
    path = tmp_path / "nan.wav"
    path.write_bytes(_wav(sine, SR, bits=32, tag=FLOAT))
    with pytest.raises(SpeechError, match=r"nan\.wav: it holds samples that are not numbers"):
        read_samples(path)


def test_float_samples_at_another_rate_are_resampled(tmp_path):
    path = tmp_path / "clip.wav"
    path.write_bytes(_wav(_sine(rate=48000), 48000, bits=32, tag=EXTENSIBLE))
    decoded = decode_file(path, SR)
    assert abs(len(decoded) - SR // 2) <= 1
    assert 0.24 < np.abs(decoded).max() < 0.26  # the sine, not its bytes as integers
    assert abs(np.sqrt(np.mean(decoded[100:-100] ** 2)) - 0.25 / np.sqrt(2)) < 0.005


def test_integer_wavs_are_left_to_pydub(tmp_path):
    path = tmp_path / "pcm.wav"
    path.write_bytes(build_wav(pcm16(_sine()), SR))
    assert read_sample_format(path) == (PCM, 16)
    assert not pydub_misreads(path)
    assert np.abs(decode_file(path, SR) - _sine()).max() < 2 / 32768


def test_the_format_is_found_after_other_chunks(tmp_path):
    path = tmp_path / "tagged.wav"
    junk = b"JUNK" + struct.pack("<I", 5) + b"12345" + b"\0"  # odd size: padded
    path.write_bytes(_wav(_sine(), SR, bits=32, tag=EXTENSIBLE, before=junk))
    assert read_sample_format(path) == (FLOAT, 32)
    assert np.allclose(read_samples(path)[0][:, 0], _sine(), atol=1e-6)


@pytest.mark.parametrize("raw", [b"", b"RIFF", b"RIFF\0\0\0\0WAVEdata\0\0\0\0", b"ID3" * 20])
def test_what_is_no_wav_has_no_format(tmp_path, raw):
    path = tmp_path / "x.wav"
    path.write_bytes(raw)
    assert read_sample_format(path) is None and not pydub_misreads(path)
    assert read_sample_format(tmp_path / "missing.wav") is None


def test_a_float_clip_cut_short_is_read_as_far_as_it_goes(tmp_path):
    path = tmp_path / "cut.wav"
    raw = _wav(_sine(), SR, bits=32, tag=EXTENSIBLE)
    path.write_bytes(raw[: len(raw) - 1001])  # a writer stopped mid-frame
    samples, _ = read_samples(path)
    assert len(samples) == len(_sine()) - 251
    assert np.allclose(samples[:, 0], _sine()[: len(samples)], atol=1e-6)


def test_a_tone_folder_of_float_wavs_gives_the_tones(tmp_path):
    for name, seconds in TONE_LENGTHS.items():
        (tmp_path / f"{name}.wav").write_bytes(_wav(_sine(seconds), SR, bits=32, tag=EXTENSIBLE))
    tones = load_tone_folder(tmp_path)
    for name, clip in tones.items():
        expected = _sine(TONE_LENGTHS[name])
        assert np.abs(clip.samples[: len(expected)] - expected).max() < 2 / 32768


def test_a_stream_ffmpeg_does_not_give_as_wav_fails_without_hanging(tmp_path, monkeypatch):
    path = tmp_path / "wide.wav"
    path.write_bytes(_wav(_sine(2.0), SR, bits=64, tag=FLOAT))
    # ffmpeg then writes 64-bit samples, which the stream does not take: it must stop
    # ffmpeg, blocked on a full pipe, rather than wait for it
    monkeypatch.setattr(decode, "_pydub_codec", lambda info: "pcm_s64le")
    failures: list[BaseException] = []

    def run() -> None:
        try:
            list(decode_stream(path, SR))
        except DecodeError as exc:
            failures.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "decode_stream hung on a stream it could not read"
    assert len(failures) == 1 and "cannot be decoded as audio" in str(failures[0])
