"""Recorded clips: the phrases.csv manifest, finding takes, decoding any audio file."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from voicecoach.errors import SpeechError
from voicecoach.speech.recordings import (
    MANIFEST,
    ManifestRow,
    Recordings,
    file_name,
    read_manifest,
    update_manifest,
)
from voicecoach.wavio import build_wav, pcm16

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg missing")


def test_file_names_are_numbered_and_readable():
    assert file_name(7, "Rest for 30 seconds.") == "0007-rest-for-30-seconds.wav"
    assert file_name(12, "Knie nach außen, Füße bleiben zusammen.") == (
        "0012-knie-nach-auen-fue-bleiben-zusammen.wav"
    )
    assert file_name(3, "…") == "0003-line.wav"
    long = file_name(1, "one two three four five six seven eight nine ten")
    assert long == "0001-one-two-three-four-five-six-seven-eight.wav"


def test_manifest_round_trips_and_keeps_the_rows_already_there(tmp_path):
    rows, added = update_manifest(tmp_path, ["Get ready.", 'Say "one", then two.', "Get ready."])
    assert added == 2
    assert rows == [
        ManifestRow("0001-get-ready.wav", "Get ready."),
        ManifestRow("0002-say-one-then-two.wav", 'Say "one", then two.'),
    ]
    assert read_manifest(tmp_path) == rows
    text = (tmp_path / MANIFEST).read_text()
    assert text.splitlines()[0] == "file,text"
    # the programme changed: old rows stay, new lines come after the highest number
    rows2, added2 = update_manifest(tmp_path, ["Rest, please.", "Get ready."])
    assert added2 == 1
    assert rows2 == [*rows, ManifestRow("0003-rest-please.wav", "Rest, please.")]
    assert read_manifest(tmp_path) == rows2
    rows3, added3 = update_manifest(tmp_path, ["Get ready."])
    assert added3 == 0 and rows3 == rows2


def test_a_clinician_edited_manifest_is_respected(tmp_path):
    (tmp_path / MANIFEST).write_text("file,text\nintro-take-2.m4a,Welcome.\n0009-x.wav,Rest.\n")
    rows, added = update_manifest(tmp_path, ["Welcome.", "Go."])
    assert added == 1 and rows[-1] == ManifestRow("0010-go.wav", "Go.")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,words\na.wav,Hi.\n", "expected the columns file,text"),
        ("file,text\n,Hi.\n", ":2: a row needs both"),
        ("file,text\n../a.wav,Hi.\n", "not a plain file name"),
    ],
)
def test_a_malformed_manifest_is_one_located_line(tmp_path, content, message):
    (tmp_path / MANIFEST).write_text(content)
    with pytest.raises(SpeechError, match=message):
        read_manifest(tmp_path)


def _tone_wav(path, seconds=0.5, rate=22050, channels=1, freq=440.0):
    t = np.arange(round(seconds * rate)) / rate
    mono = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    data = np.repeat(mono[:, None], channels, axis=1).reshape(-1)
    raw = build_wav(pcm16(data), rate)
    if channels > 1:  # build_wav writes mono headers: patch the channel count and rates
        raw = bytearray(raw)
        raw[22:24] = channels.to_bytes(2, "little")
        raw[28:32] = (rate * 2 * channels).to_bytes(4, "little")
        raw[32:34] = (2 * channels).to_bytes(2, "little")
        raw = bytes(raw)
    path.write_bytes(raw)
    return mono


def test_a_take_is_found_under_any_audio_suffix(tmp_path):
    update_manifest(tmp_path, ["Get ready.", "Go."])
    recordings = Recordings(tmp_path)
    assert recordings.path("Get ready.") is None
    assert recordings.missing(["Get ready.", "Go.", "Go."]) == ["Get ready.", "Go."]
    _tone_wav(tmp_path / "0002-go.flac.txt")  # not audio
    (tmp_path / "0002-go.ogg").write_bytes(b"x")
    recordings = Recordings(tmp_path)
    assert recordings.path("Go.") == tmp_path / "0002-go.ogg"
    assert recordings.missing(["Get ready.", "Go."]) == ["Get ready."]
    assert recordings.path("Never in the manifest.") is None


@needs_ffmpeg
def test_a_recording_becomes_a_mono_44100_clip_trimmed_not_stretched(tmp_path):
    update_manifest(tmp_path, ["Go."])
    wav = tmp_path / "0001-go.wav"
    _tone_wav(wav, seconds=0.5, rate=22050, channels=2)
    padded = tmp_path / "padded.wav"  # half a second of silence on each side
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(wav),
            "-af",
            "adelay=500|500,apad=pad_dur=0.5",
            "-y",
            str(padded),
        ],
        check=True,
    )
    padded.replace(wav)
    clip = Recordings(tmp_path).clip("Go.")
    assert clip.sample_rate == 44100 and clip.samples.ndim == 1
    assert clip.duration == pytest.approx(0.5, abs=0.02)  # silence trimmed, tone kept whole


@needs_ffmpeg
def test_a_new_take_changes_the_key(tmp_path):
    update_manifest(tmp_path, ["Go."])
    wav = tmp_path / "0001-go.wav"
    _tone_wav(wav, freq=440)
    recordings = Recordings(tmp_path)
    first_key, first = recordings.key("Go."), recordings.clip("Go.")
    _tone_wav(wav, freq=660, seconds=0.6)
    second_key, second = recordings.key("Go."), recordings.clip("Go.")
    assert first_key != second_key
    assert second.duration > first.duration


@needs_ffmpeg
def test_an_undecodable_take_is_one_clear_line(tmp_path):
    update_manifest(tmp_path, ["Go."])
    (tmp_path / "0001-go.mp3").write_bytes(b"this is no mp3")
    with pytest.raises(SpeechError, match="0001-go.mp3") as caught:
        Recordings(tmp_path).clip("Go.")
    assert "\n" not in str(caught.value)
