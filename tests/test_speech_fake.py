"""The fake engine, the engine registry and the checks every clip goes through."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech import Clip, engine_names, get_engine, synthesize_checked
from voicecoach.speech.base import estimate_duration, estimate_samples
from voicecoach.speech.fake import FakeEngine
from voicecoach.speech.registry import register_engine

VOICE = Voice(engine="fake", name="en-gb", rate=150)


@pytest.mark.parametrize(
    ("text", "samples"),
    [
        ("Go.", round(0.33 * 44100)),
        ("Keep your pelvis still.", round((0.06 * 23 + 0.15) * 44100)),
        ("x" * 100, round(6.15 * 44100)),
    ],
)
def test_fake_clip_length_follows_the_text(text: str, samples: int) -> None:
    clip = FakeEngine().synthesize(text, VOICE)
    assert clip.sample_rate == 44100
    assert len(clip.samples) == samples == estimate_samples(text)
    assert clip.duration == estimate_duration(text) == samples / 44100


def test_fake_clip_is_deterministic_quiet_and_faded() -> None:
    a = FakeEngine().synthesize("Lift the top knee.", VOICE)
    b = FakeEngine().synthesize("Lift the top knee.", Voice())
    other = FakeEngine().synthesize("Lift the top knee!", VOICE)
    assert a.samples.dtype == np.float32
    assert np.array_equal(a.samples, b.samples)
    assert len(other) == len(a) and not np.array_equal(a.samples, other.samples)
    peak = np.abs(a.samples).max()
    assert 0.1 < peak <= 0.2
    assert abs(a.samples[0]) < 1e-3 and abs(a.samples[-1]) < 1e-3
    assert np.abs(a.samples[:44]).max() < 0.1 * peak  # first ms is inside the fade-in


def test_clip_samples_are_read_only_copies() -> None:
    source = np.zeros(10, dtype=np.float32)
    source[3] = 0.5
    clip = Clip(source, 44100)
    source[3] = 0.0
    assert clip.samples[3] == np.float32(0.5)
    with pytest.raises(ValueError):
        clip.samples[0] = 1.0
    with pytest.raises(ValueError, match="mono"):
        Clip(np.zeros((10, 2)), 44100)


def test_fake_failure_raised_by_engine_becomes_speech_error_naming_phrase() -> None:
    engine = FakeEngine(fail_on="pelvis")
    assert len(synthesize_checked(engine, "Breathe calmly.", VOICE)) > 0
    with pytest.raises(RuntimeError):
        engine.synthesize("Keep your pelvis still.", VOICE)
    with pytest.raises(SpeechError, match=r'"Keep your pelvis still\."'):
        synthesize_checked(engine, "Keep your pelvis still.", VOICE)


def test_fake_empty_clip_becomes_speech_error_naming_phrase() -> None:
    engine = FakeEngine(fail_on="pelvis", fail_mode="empty")
    assert len(engine.synthesize("Keep your pelvis still.", VOICE)) == 0
    with pytest.raises(
        SpeechError, match=r'fake could not speak "Keep your pelvis still\.".*no audio'
    ):
        synthesize_checked(engine, "Keep your pelvis still.", VOICE)


def test_wrong_sample_rate_is_rejected() -> None:
    class HalfRate(FakeEngine):
        def synthesize(self, text: str, voice: Voice) -> Clip:
            return Clip(super().synthesize(text, voice).samples, 22050)

    with pytest.raises(SpeechError, match=r'"Hi"'):
        synthesize_checked(HalfRate(), "Hi", VOICE)


def test_fake_voices_filter_by_language() -> None:
    engine = FakeEngine()
    assert [v.id for v in engine.voices("nl")] == ["fake-nl"]
    assert [v.id for v in engine.voices("en")] == ["fake-en"]
    assert len(engine.voices()) == 2
    assert engine.voices("de") == []


def test_registry_knows_the_engines_default_first() -> None:
    names = engine_names()
    assert names[0] == "pyttsx3"
    assert {"pyttsx3", "espeak-ng", "fake"} <= set(names)
    assert isinstance(get_engine("fake"), FakeEngine)
    assert get_engine("fake", fail_on="x").fail_on == "x"


def test_registry_unknown_engine_lists_known_ones() -> None:
    with pytest.raises(SpeechError, match=r'unknown speech engine "festival".*pyttsx3.*fake'):
        get_engine("festival")


def test_registry_bad_option_is_a_speech_error() -> None:
    with pytest.raises(SpeechError, match="fake"):
        get_engine("fake", loudness=3)


def test_register_engine_adds_a_name() -> None:
    register_engine("fake-quiet", lambda **o: FakeEngine(name="fake-quiet", **o))
    try:
        engine = get_engine("fake-quiet")
        assert engine.name == "fake-quiet"
        assert "fake-quiet" in engine_names()
    finally:
        from voicecoach.speech import registry

        registry._FACTORIES.pop("fake-quiet")
