"""Tone sets: the soft set's shapes, and a folder of the programme's own tones."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from voicecoach.audio.assets import load_tone_folder, load_tone_set, load_tones, tone_files
from voicecoach.audio.tone_synth import TONE_PEAK, generate_tones
from voicecoach.errors import AudioError
from voicecoach.timeline.tone_lengths import TONE_LENGTHS
from voicecoach.wavio import SAMPLE_RATE


def _pitch(samples: np.ndarray) -> float:
    """Rough pitch from the zero-crossing rate (Hz)."""
    crossings = np.count_nonzero(np.diff(np.signbit(samples)))
    return crossings / 2 / (len(samples) / SAMPLE_RATE)


def test_soft_tones_keep_the_lengths_and_shapes_of_the_standard_set():
    soft, standard = generate_tones(style="soft"), generate_tones()
    for name, samples in soft.items():
        assert len(samples) == len(standard[name]) == round(TONE_LENGTHS[name] * SAMPLE_RATE)
        assert np.max(np.abs(samples)) == pytest.approx(TONE_PEAK, abs=1e-6)
        assert samples[0] == 0.0 and abs(samples[-1]) < 1e-4
        assert not np.array_equal(samples, standard[name])
    third = len(soft["up"]) // 3
    assert _pitch(soft["up"][-third:]) > 1.15 * _pitch(soft["up"][:third])
    assert _pitch(soft["down"][-third:]) < _pitch(soft["down"][:third]) / 1.15
    pitches = {name: _pitch(x[: len(x) // 4]) for name, x in soft.items()}
    assert pitches["count"] > pitches["hold"] > pitches["end"]


def test_soft_tones_are_gentler_than_the_standard_ones():
    """Softer attack (slower rise to the peak) and fewer high partials."""
    soft, standard = generate_tones(style="soft"), generate_tones()
    for name in ("count", "up", "hold", "down"):

        def attack(x):
            return int(np.argmax(np.abs(x) > 0.5 * TONE_PEAK))

        def brightness(x):
            spectrum = np.abs(np.fft.rfft(x))
            freqs = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
            return float(np.sum(spectrum * freqs) / np.sum(spectrum))

        assert attack(soft[name]) > attack(standard[name])
        assert brightness(soft[name]) < brightness(standard[name])


def test_tone_set_names():
    assert set(load_tone_set("soft")) == set(TONE_LENGTHS)
    standard = load_tone_set("standard")
    assert all(np.array_equal(standard[n].samples, load_tones()[n].samples) for n in standard)
    with pytest.raises(AudioError, match="no tone set 'loud'"):
        load_tone_set("loud")


def _tone_file(path, seconds, freq=660.0):
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i"]
        + [f"sine=frequency={freq}:duration={seconds}:sample_rate=48000", str(path)],
        check=True,
    )


@pytest.fixture(scope="module")
def made_tones(tmp_path_factory):
    """A file for every tone (wav, mp3, ogg, flac in turn) lasting 0.1 s and 1 s, made
    once: {seconds: folder}."""
    formats = ("wav", "mp3", "ogg", "flac")
    made = {}
    for seconds in (0.1, 1.0):
        made[seconds] = folder = tmp_path_factory.mktemp(f"tones-{seconds}")
        for i, name in enumerate(TONE_LENGTHS):
            _tone_file(folder / f"{name}.{formats[i % len(formats)]}", seconds, 300 + 100 * i)
    return made


def _tone_folder(made, folder, seconds=0.1, skip=()):
    """FOLDER with a copy of MADE's tone files of SECONDS, but those named in SKIP."""
    folder.mkdir(exist_ok=True)
    for path in made[seconds].iterdir():
        if path.stem not in skip:
            shutil.copy2(path, folder / path.name)
    return folder


@pytest.mark.e2e
def test_a_folder_of_any_formats_is_fitted_to_the_tone_lengths(tmp_path, made_tones):
    folder = _tone_folder(made_tones, tmp_path / "tones", seconds=0.1)
    (folder / "notes.txt").write_text("not a tone")
    tones = load_tone_folder(folder)
    assert set(tones) == set(TONE_LENGTHS)
    for name, clip in tones.items():
        assert clip.sample_rate == SAMPLE_RATE
        assert len(clip.samples) == round(TONE_LENGTHS[name] * SAMPLE_RATE)
    side = tones["side"].samples  # 0.1 s of sound in a 0.6 s slot: the rest is silence
    assert np.max(np.abs(side[round(0.15 * SAMPLE_RATE) :])) == 0.0
    assert np.max(np.abs(side[: round(0.05 * SAMPLE_RATE)])) > 0.1


@pytest.mark.e2e
def test_longer_tone_files_are_cut_with_a_fade_and_a_warning(tmp_path, made_tones):
    folder = _tone_folder(made_tones, tmp_path / "tones", seconds=1.0)
    with pytest.warns(UserWarning, match="the count tone lasts 0.12 s"):
        tones = load_tone_folder(folder)
    count = tones["count"].samples
    assert len(count) == round(0.12 * SAMPLE_RATE)
    assert abs(count[-1]) < 1e-3  # faded, no click at the cut


@pytest.mark.e2e
def test_a_missing_tone_is_named(tmp_path, made_tones):
    folder = _tone_folder(made_tones, tmp_path / "tones", skip=("go", "side"))
    with pytest.raises(AudioError, match="no file for the tones go, side"):
        tone_files(folder)


@pytest.mark.e2e
def test_two_files_for_one_tone_are_refused(tmp_path, made_tones):
    folder = _tone_folder(made_tones, tmp_path / "tones")
    _tone_file(folder / "up.m4a", 0.1)
    with pytest.raises(AudioError, match="2 files for the tone up"):
        tone_files(folder)


@pytest.mark.e2e
def test_an_undecodable_tone_file_is_named(tmp_path, made_tones):
    folder = _tone_folder(made_tones, tmp_path / "tones", skip=("end",))
    (folder / "end.mp3").write_bytes(b"garbage")
    with pytest.raises(AudioError, match="end.mp3 cannot be decoded"):
        load_tone_folder(folder)
