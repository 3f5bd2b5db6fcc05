"""pyttsx3's audio depends only on phrase, voice and rate: not on history, timing or load."""

from __future__ import annotations

import hashlib
import os
import signal
import threading

import pytest

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech import get_engine, pyttsx3_fresh
from voicecoach.speech.pyttsx3_engine import DEFAULT_RATE

pytestmark = pytest.mark.e2e

SLOW = Voice(name="en-gb", rate=120)
QUICK = Voice(name="en-gb", rate=180)


def digest(clip) -> str:
    return hashlib.sha256(clip.samples.tobytes()).hexdigest()


def test_a_phrase_is_the_same_samples_whatever_was_said_before() -> None:
    engine = get_engine("pyttsx3")
    try:
        first = engine.synthesize("Get ready.", SLOW)
        engine.synthesize("Breathe calmly and keep your pelvis still.", QUICK)
        engine.synthesize("Three", SLOW)
        again = engine.synthesize("Get ready.", SLOW)
    finally:
        engine.close()
    other = get_engine("pyttsx3")
    try:
        fresh = other.synthesize("Get ready.", SLOW)
    finally:
        other.close()
    assert digest(first) == digest(again) == digest(fresh)


def test_concurrent_engines_changing_rate_every_phrase_all_agree() -> None:
    """Before the fix, about one rate change in 20 under load was dropped by pyttsx3."""
    texts = ["Get ready.", "Two", "Last one.", "Three"]
    rounds = 4
    results: list[list[tuple[str, int, str]]] = []
    errors: list[BaseException] = []

    def speak_all() -> None:
        engine = get_engine("pyttsx3")
        mine = []
        try:
            for _ in range(rounds):
                for text in texts:
                    for voice in (SLOW, QUICK):
                        mine.append((text, voice.rate, digest(engine.synthesize(text, voice))))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            engine.close()
        results.append(mine)

    threads = [threading.Thread(target=speak_all) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    by_key: dict[tuple[str, int], set[str]] = {}
    for mine in results:
        for text, rate, sha in mine:
            by_key.setdefault((text, rate), set()).add(sha)
    assert len(by_key) == 2 * len(texts)
    assert all(len(shas) == 1 for shas in by_key.values()), by_key  # 96 utterances agree


def test_no_rate_means_the_default_rate_exactly() -> None:
    engine = get_engine("pyttsx3")
    try:
        implicit = engine.synthesize("Change sides.", Voice(name="en-gb"))
        explicit = engine.synthesize("Change sides.", Voice(name="en-gb", rate=DEFAULT_RATE))
    finally:
        engine.close()
    assert digest(implicit) == digest(explicit)


def test_settings_are_read_back_from_espeak() -> None:
    """The confirmation reads espeak-ng's real current rate and voice."""
    pyttsx3 = pytest.importorskip("pyttsx3")
    from pyttsx3.drivers import _espeak

    def check(data_fd: int) -> dict:
        pyttsx3.init("espeak")
        settings = pyttsx3_fresh.EspeakSettings(_espeak)
        settings.apply("gmw/en-us", 133)
        settings.confirm("gmw/en-us", 133)
        messages = []
        for voice_id, rate in (("gmw/en-us", 134), ("roa/fr", 133)):
            try:
                settings.confirm(voice_id, rate)
            except SpeechError as exc:
                messages.append(exc.message)
        return {"messages": messages}

    _, status = pyttsx3_fresh._in_child(check)
    assert status["messages"] == [
        "espeak-ng speaks at 133 words a minute, not 134",
        'espeak-ng speaks with voice "gmw/en-us", not "roa/fr"',
    ]


def test_a_failing_or_killed_child_is_a_speech_error() -> None:
    def fail(data_fd: int) -> dict:
        raise SpeechError("pyttsx3 broke on purpose")

    def die(data_fd: int) -> dict:
        os.kill(os.getpid(), signal.SIGKILL)
        return {}

    with pytest.raises(SpeechError, match="broke on purpose"):
        pyttsx3_fresh._in_child(fail)
    with pytest.raises(SpeechError, match="child process was killed by signal 9"):
        pyttsx3_fresh._in_child(die)
