"""The real default engine (pyttsx3 + espeak-ng), and its install checks."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech import Clip, PhraseCache, get_engine, pyttsx3_engine, synthesize_checked
from voicecoach.speech.pyttsx3_engine import Pyttsx3Engine

SHORT = "Breathe calmly."
LONG = "Lift the top knee while your feet stay together, then lower it slowly."
TEN_MS = 441


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def envelope_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of the 20 ms RMS envelopes of two clips (over the shorter length)."""
    frames = min(len(a), len(b)) // 882
    env = [
        np.sqrt(np.mean(np.square(x[: frames * 882].reshape(frames, 882)), axis=1)) for x in (a, b)
    ]
    return float(np.corrcoef(env[0], env[1])[0, 1])


@pytest.fixture(scope="module")
def engine() -> Iterator[Pyttsx3Engine]:
    engine = get_engine("pyttsx3", timeout=30)
    assert isinstance(engine, Pyttsx3Engine)
    yield engine
    engine.close()


def test_missing_pyttsx3_package_gives_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyttsx3_engine.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SpeechError, match=r"pyttsx3 is not installed: run `pip install pyttsx3`"):
        Pyttsx3Engine().check()


def test_missing_espeak_library_gives_the_apt_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyttsx3_engine.sys, "platform", "linux")
    monkeypatch.setattr(pyttsx3_engine, "_ESPEAK_LIBRARIES", ("libno-such-espeak.so.9",))
    engine = Pyttsx3Engine()
    with pytest.raises(SpeechError, match=r"run `sudo apt-get install espeak-ng`"):
        engine.check()
    with pytest.raises(SpeechError, match=r"apt-get install espeak-ng"):
        engine.synthesize(SHORT, Voice())
    assert engine.workers_started == 0


@pytest.mark.e2e
def test_phrase_is_44100_hz_mono_plausible_and_trimmed(engine: Pyttsx3Engine) -> None:
    clip = synthesize_checked(engine, SHORT, Voice(name="en-gb", rate=150))
    assert isinstance(clip, Clip)
    assert clip.sample_rate == 44100
    assert clip.samples.ndim == 1 and clip.samples.dtype == np.float32
    assert 0.3 <= clip.duration <= 5.0
    assert 0.1 < np.abs(clip.samples).max() <= 1.0
    # espeak ends every phrase with ~0.4 s of digital silence; none of it may be left
    assert rms(clip.samples[:TEN_MS]) > 0.002
    assert rms(clip.samples[-TEN_MS:]) > 0.002
    assert abs(clip.samples[0]) < 0.05 and abs(clip.samples[-1]) < 0.05  # faded cuts


@pytest.mark.e2e
def test_phrases_in_a_row_are_each_their_own(engine: Pyttsx3Engine) -> None:
    voice = Voice(name="en-gb", rate=150)
    short = engine.synthesize(SHORT, voice)
    long = engine.synthesize(LONG, voice)
    short_again = engine.synthesize(SHORT, voice)
    assert long.duration > 2.5 * short.duration
    # espeak-ng varies a phrase by a few samples from run to run, no more
    assert abs(len(short_again) - len(short)) <= 0.02 * len(short)
    assert envelope_similarity(short.samples, short_again.samples) > 0.95
    assert envelope_similarity(short.samples, long.samples[: len(short)]) < 0.9


@pytest.mark.e2e
def test_rate_changes_the_pace(engine: Pyttsx3Engine) -> None:
    slow = engine.synthesize(LONG, Voice(name="en-gb", rate=100))
    fast = engine.synthesize(LONG, Voice(name="en-gb", rate=250))
    assert slow.duration > 1.8 * fast.duration


@pytest.mark.e2e
def test_voice_by_language_or_id_and_voices_listing(engine: Pyttsx3Engine) -> None:
    dutch = engine.voices("nl")
    assert dutch and all(any(t.startswith("nl") for t in v.languages) for v in dutch)
    english = engine.voices("en")
    assert {"en-gb", "en-us"} <= {t for v in english for t in v.languages}
    assert all(v.engine == "pyttsx3" for v in english)
    text = "Houd je bekken stil."
    by_tag = engine.synthesize(text, Voice(name="nl"))
    by_id = engine.synthesize(text, Voice(name=dutch[0].id))
    assert abs(len(by_tag) - len(by_id)) <= 0.02 * len(by_tag)
    assert envelope_similarity(by_tag.samples, by_id.samples) > 0.95
    english = engine.synthesize(text, Voice(name="en-us"))  # reads the Dutch as English
    assert envelope_similarity(by_tag.samples, english.samples) < 0.9


@pytest.mark.e2e
def test_unknown_voice_lists_some_available(engine: Pyttsx3Engine) -> None:
    with pytest.raises(SpeechError) as caught:
        engine.synthesize(SHORT, Voice(name="xx-nowhere"))
    message = str(caught.value)
    assert 'unknown pyttsx3 voice "xx-nowhere"' in message
    assert "en-gb" in message and "voicecoach voices" in message


@pytest.mark.e2e
def test_worker_is_reused_and_warm_phrases_are_fast(engine: Pyttsx3Engine) -> None:
    engine.synthesize(SHORT, Voice())
    started = engine.workers_started
    t0 = time.perf_counter()
    for i in range(5):
        engine.synthesize(f"Set {i + 1}.", Voice())
    assert time.perf_counter() - t0 < 10
    assert engine.workers_started == started


@pytest.mark.e2e
def test_second_build_with_the_cache_speaks_nothing(engine: Pyttsx3Engine, tmp_path) -> None:
    phrases = [SHORT, LONG, "Change sides."]
    first = PhraseCache(engine, tmp_path)
    durations = first.ensure(phrases, Voice(name="en-gb"))
    assert first.synthesized == 3
    second = PhraseCache(engine, tmp_path)
    assert second.ensure(phrases, Voice(name="en-gb")) == durations
    assert (second.synthesized, second.hits) == (0, 3)


@pytest.mark.e2e
def test_tiny_timeout_stops_the_real_engine_naming_the_phrase() -> None:
    engine = Pyttsx3Engine(timeout=0.001)
    try:
        engine.check()  # start-up has its own, longer deadline
        with pytest.raises(SpeechError, match=r'"Lift the top knee.*within 0\.001 s'):
            engine.synthesize(LONG, Voice())
    finally:
        engine.close()
