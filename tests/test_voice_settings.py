"""Voices carry engine options; each engine checks its rate range and options and
supplies the part of every cache key that shapes its sound."""

from __future__ import annotations

import shutil
from collections.abc import Mapping

import numpy as np
import pytest
from click.testing import CliRunner
from core_helpers import load_error, load_text, write_yaml
from speech_helpers import isolated_fake

from voicecoach import pipeline
from voicecoach.cli import main
from voicecoach.errors import ScriptError, SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.base import OptionSpec, SpeechEngine
from voicecoach.speech.cache import PhraseCache
from voicecoach.speech.fake import FakeEngine
from voicecoach.speech.registry import engine_names, get_engine

HAS_ESPEAK = shutil.which("espeak-ng") is not None


def programme(voice: str) -> str:
    return f"title: T\nvoice: {voice}\nexercises: [{{name: A, reps: 1}}]\n"


def test_options_are_read_sorted_and_located(tmp_path):
    loaded = load_text(tmp_path, programme("{engine: fake, options: {pitch: 1.5, b: on}}"))
    voice = loaded.voice
    assert voice.options == (("b", True), ("pitch", 1.5))
    assert voice.option_map() == {"b": True, "pitch": 1.5}
    where = voice.where("options.pitch")
    assert (where.line, where.column) == (2, 40)


@pytest.mark.parametrize(
    ("voice", "message"),
    [
        ("{options: [1, 2]}", "2:18: voice.options: expected a mapping of keys, got a list"),
        ("{options: {pitch: [1]}}", "voice.options.pitch: expected text, a number or true/false"),
        ("{options: {pitch: }}", "voice.options.pitch: expected text, a number or true/false"),
    ],
)
def test_malformed_options_are_located_at_load(tmp_path, voice, message):
    assert message in str(load_error(tmp_path, programme(voice)))


@pytest.mark.parametrize(
    ("voice", "value", "message"),
    [
        (
            "{engine: fake, options: {speed: 2}}",
            "2",
            "voice.options.speed: fake has no option 'speed' (its options: pitch)",
        ),
        (
            "{engine: fake, options: {pitch: 9}}",
            "9",
            "voice.options.pitch: expected a number from 0.5 to 2, got 9",
        ),
        (
            "{engine: fake, options: {pitch: high}}",
            "high",
            "voice.options.pitch: expected a number",
        ),
        ("{engine: pyttsx3, rate: 450}", "450", "voice.rate: pyttsx3 speaks 60 to 400 words"),
        ("{engine: espeak-ng, rate: 70}", "70", "voice.rate: espeak-ng speaks 80 to 450 words"),
        (
            "{engine: espeak-ng, options: {pitch: 2.5}}",
            "2.5",
            "voice.options.pitch: expected a whole number",
        ),
    ],
)
def test_the_engine_refuses_settings_where_they_are_written(tmp_path, voice, value, message):
    path = write_yaml(tmp_path, programme(voice))
    where = f"2:{len('voice: ') + voice.index(value) + 1}"
    with pytest.raises(ScriptError) as info:
        pipeline.load(path)
    assert str(info.value).startswith(f"{path}:{where}: {message}")


def test_rate_ranges_are_per_engine(tmp_path):
    """450 words a minute is too fast for pyttsx3 but within espeak-ng's range."""
    path = write_yaml(tmp_path, programme("{engine: espeak-ng, rate: 450}"))
    assert pipeline.load(path).voice.rate == 450
    with pytest.raises(ScriptError, match="pyttsx3 speaks 60 to 400"):
        pipeline.load(path, voice=pipeline.VoiceOverride(engine="pyttsx3"))


def test_a_command_line_rate_is_checked_unlocated(tmp_path):
    path = write_yaml(tmp_path, programme("{engine: espeak-ng, rate: 200}"))
    with pytest.raises(SpeechError) as info:
        pipeline.load(path, voice=pipeline.VoiceOverride(rate=60))
    assert not isinstance(info.value, ScriptError)
    assert str(info.value) == "--rate: espeak-ng speaks 80 to 450 words a minute, not 60"


def test_another_engine_on_the_command_line_drops_the_programmes_options(tmp_path):
    path = write_yaml(tmp_path, programme("{engine: espeak-ng, options: {word_gap: 3}}"))
    assert pipeline.load(path).voice.options == (("word_gap", 3),)
    voice = pipeline.load(path, voice=pipeline.VoiceOverride(engine="fake")).voice
    assert voice.engine == "fake" and voice.options == ()


def test_validate_reports_a_bad_option_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICECOACH_CACHE_DIR", str(tmp_path / "cache"))
    path = write_yaml(tmp_path, programme("{engine: fake, options: {pitch: 3}}"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {path}:2:40: voice.options.pitch: expected a number from 0.5 to 2, got 3 "
        "(pitch: a factor on the tone's frequency)"
    ]


def test_options_change_the_sound_and_the_cache_key(tmp_path):
    cache = PhraseCache(FakeEngine(), tmp_path)
    plain, higher = Voice("fake", "en"), Voice("fake", "en", options=(("pitch", 2.0),))
    assert cache.key("Rest.", plain) != cache.key("Rest.", higher)
    assert cache.path("Rest.", plain) != cache.path("Rest.", higher)
    low, high = cache.clip("Rest.", plain), cache.clip("Rest.", higher)
    assert len(low) == len(high)  # the fake's length depends on the text only
    crossings = [np.count_nonzero(np.diff(np.signbit(c.samples))) for c in (low, high)]
    assert crossings[1] == pytest.approx(2 * crossings[0], rel=0.02)
    assert cache.synthesized == 2


def test_a_new_engine_version_changes_the_cache_key(tmp_path):
    class NewerFake(FakeEngine):
        def sound_key(self, voice):
            return ["fake/2", *super().sound_key(voice)[1:]]

    voice = Voice("fake", "en")
    old, new = PhraseCache(FakeEngine(), tmp_path), PhraseCache(NewerFake(), tmp_path)
    assert old.key("Go.", voice) != new.key("Go.", voice)
    old.clip("Go.", voice)
    new.clip("Go.", voice)
    assert (old.synthesized, new.synthesized) == (1, 1)


def test_options_reach_an_engine_in_a_worker_process():
    voice = Voice("fake", "en", options=(("pitch", 1.5),))
    isolated = isolated_fake(20)
    try:
        clip = isolated.synthesize("Keep going.", voice)
        assert isolated.sound_key(voice) == FakeEngine().sound_key(voice)
    finally:
        isolated.close()
    assert np.array_equal(clip.samples, FakeEngine().synthesize("Keep going.", voice).samples)


@pytest.mark.parametrize("name", engine_names())
def test_every_engine_has_the_whole_protocol(name):
    engine = get_engine(name)
    assert isinstance(engine, SpeechEngine)
    low, high = engine.rates
    assert 0 < low < high
    assert isinstance(engine.voice_options, Mapping)
    assert all(isinstance(spec, OptionSpec) for spec in engine.voice_options.values())
    engine.close()
    engine.close()  # closing twice is harmless


@pytest.mark.skipif(not HAS_ESPEAK, reason="needs espeak-ng")
def test_espeak_ng_sound_key_names_its_version_and_its_options_change_the_audio():
    engine = get_engine("espeak-ng")
    voice = Voice("espeak-ng", "en", 175)
    key = engine.sound_key(voice)
    assert key[0] == "espeak-ng" and "eSpeak NG" in key[1] and "Data at" not in key[1]
    gapped = Voice("espeak-ng", "en", 175, options=(("word_gap", 30),))
    normal = engine.synthesize("one two three four", voice)
    slower = engine.synthesize("one two three four", gapped)
    assert slower.duration > normal.duration + 0.5  # three gaps of 300 ms
