"""The programme's sound settings: tones (incl. a voice-only rhythm), music, levels, author."""

from __future__ import annotations

import re

import pytest
from audio_helpers import make_music
from core_helpers import check_timing_rules, fake_measure, load_error, load_text, where, write_yaml

from voicecoach import pipeline
from voicecoach.errors import AudioError, ScriptError
from voicecoach.script.model import DEFAULT_MUSIC_DUCK, Sound
from voicecoach.timeline import compile_programme

REPS = """
    title: Knee
    {extra}
    exercises:
      - name: Squat
        sets: 2
        reps: 4
        tempo: 2-1-2
        rest: 20s
      - name: Plank
        work: 20s
      - name: Bridge
        reps: 2
        hold: 8s
"""


def _programme(tmp_path, extra=""):
    return load_text(tmp_path, REPS.format(extra=extra))


def test_defaults_are_the_standard_tones_without_music(tmp_path):
    sound = _programme(tmp_path).sound
    assert sound == Sound() and sound.tones == "standard"
    assert sound.music is None and sound.music_duck == DEFAULT_MUSIC_DUCK


def test_music_and_tone_folder_are_relative_to_the_programme(tmp_path):
    make_music(tmp_path / "beat.ogg", 1.0)
    (tmp_path / "my-tones").mkdir()
    programme = _programme(
        tmp_path,
        "music: beat.ogg\n    music_level: -18\n    music_duck: 20 dB\n"
        "    tones: my-tones\n    tone_level: -4\n    author: Physio Jansen",
    )
    sound = programme.sound
    assert sound.music == (tmp_path / "beat.ogg").resolve()
    assert (sound.music_level, sound.music_duck, sound.tone_level) == (-18.0, 20.0, -4.0)
    assert sound.tones == "folder" and sound.tone_folder == (tmp_path / "my-tones").resolve()
    assert programme.author == "Physio Jansen"


@pytest.mark.parametrize(
    ("extra", "column", "message"),
    [
        ("music: gone.mp3", 8, "music: .*gone.mp3 does not exist; expected a music file"),
        ("music: [a, b]", 8, "music: expected the path of a music file"),
        ("music_duck: 6", 13, "music_duck: expected a level in dB from 12 to 60"),
        ("music_level: loud", 14, "music_level: expected a level in dB from -40 to -6"),
        ("tone_level: 3", 13, "tone_level: expected a level in dB from -30 to 0"),
        ("tones: shrill", 8, "tones: 'shrill' is not one of standard, soft or none, and .* folder"),
        ("tones: 5", 8, "tones: expected one of standard, soft or none, or a folder"),
    ],
)
def test_bad_sound_settings_are_located(tmp_path, extra, column, message):
    err = load_error(tmp_path, REPS.format(extra=extra))
    assert where(err) == (2, column)
    assert re.search(message, err.message), err.message


def test_unreadable_music_is_refused_by_load_so_validate_catches_it(tmp_path):
    (tmp_path / "song.mp3").write_bytes(b"this is no song")
    path = write_yaml(tmp_path, REPS.format(extra="music: song.mp3"))
    with pytest.raises(ScriptError) as info:
        pipeline.load(path)
    assert where(info.value) == (2, 8)
    assert "song.mp3 holds no audio that ffmpeg can read" in info.value.message


def test_music_from_the_command_line_replaces_the_programme_s(tmp_path):
    make_music(tmp_path / "a.mp3", 1.0)
    make_music(tmp_path / "b.wav", 1.0)
    path = write_yaml(tmp_path, REPS.format(extra="music: a.mp3"))
    programme = pipeline.load(path, music=tmp_path / "b.wav")
    assert programme.sound.music == tmp_path / "b.wav"
    assert programme.sound.music_source is None
    with pytest.raises(AudioError, match=r"^--music: .*nothing.mp3 cannot be read"):
        pipeline.load(path, music=tmp_path / "nothing.mp3")


def test_a_tone_folder_missing_a_tone_is_located(tmp_path):
    (tmp_path / "tones").mkdir()
    (tmp_path / "tones" / "up.wav").write_bytes(b"")
    path = write_yaml(tmp_path, REPS.format(extra="tones: tones"))
    with pytest.raises(ScriptError) as info:
        pipeline.load(path)
    assert where(info.value) == (2, 8)
    assert "has no file for the tones count, go, hold, down, end, side" in info.value.message


def test_tone_programmes_still_follow_every_timing_rule(tmp_path):
    programme = _programme(tmp_path, "tones: soft")
    check_timing_rules(programme, compile_programme(programme, fake_measure))


def test_a_voice_only_rhythm_has_no_tones(tmp_path):
    programme = _programme(tmp_path, "tones: none")
    assert programme.sound.tones == "none" and pipeline.tones_for(programme) == {}
    timeline = compile_programme(programme, fake_measure)
    check_timing_rules(programme, timeline)
    assert timeline.tones() == () and timeline.marks  # more in test_tones_none.py
