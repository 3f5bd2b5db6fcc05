"""Every clip is checked before it is cached: a wrong clip is never stored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech import Clip, PhraseCache
from voicecoach.speech.clip_check import (
    ClipCheck,
    agree,
    confirmed_clip,
    expected_seconds,
    length_problem,
    syllables,
)
from voicecoach.wavio import SAMPLE_RATE

VOICE = Voice(engine="scripted", name="en-gb", rate=150)
LONG = "Turn the top knee up and open, while your feet keep touching."
SHORT = "Two"


def tone(seconds: float, text: str) -> Clip:
    n = max(1, round(seconds * SAMPLE_RATE))
    pitch = 200 + sum(map(ord, text)) % 300
    return Clip(
        (0.3 * np.sin(2 * np.pi * pitch * np.arange(n) / SAMPLE_RATE)).astype("f4"), SAMPLE_RATE
    )


class ScriptedEngine:
    """Speaks each phrase at its true length (what its syllables at the rate imply),
    except where SCRIPT(text, n) -- n counting this text's syntheses from 0 -- returns
    a factor to stretch that one clip by."""

    name = "scripted"
    rates = (60, 400)
    voice_options: dict = {}

    def __init__(self, check: ClipCheck, script: Callable[[str, int], float] = lambda t, n: 1.0):
        self.clip_check = check
        self.script = script
        self.calls: Counter[str] = Counter()

    def check(self) -> None:
        pass

    def sound_key(self, voice: Voice) -> list:
        return [voice.name, voice.rate]

    def close(self) -> None:
        pass

    def voices(self, language=None):
        return []

    def synthesize(self, text: str, voice: Voice) -> Clip:
        factor = self.script(text, self.calls[text])
        self.calls[text] += 1
        return tone(0.85 * expected_seconds(text, voice.rate or 150) * factor, text)


CHECKED = ClipCheck(default_rate=150, repeat_below=1.0, repeat_tolerance=0.0)


def test_a_wrong_first_clip_is_refused_and_the_agreeing_pair_is_stored(tmp_path: Path) -> None:
    """Like pyttsx3 ignoring the rate once: the short phrase's first clip is 21% slow."""
    engine = ScriptedEngine(CHECKED, lambda text, n: 1.21 if n == 0 else 1.0)
    cache = PhraseCache(engine, tmp_path)
    clip = cache.clip(SHORT, VOICE)
    assert engine.calls[SHORT] == 3  # wrong, right, right again
    right = tone(0.85 * expected_seconds(SHORT, 150), SHORT)
    assert len(clip) == len(right)
    again = PhraseCache(ScriptedEngine(CHECKED), tmp_path)
    assert len(again.clip(SHORT, VOICE)) == len(right)
    assert again.synthesized == 0  # the stored entry is the right one


def test_a_long_clip_far_from_its_rate_is_spoken_again(tmp_path: Path) -> None:
    engine = ScriptedEngine(CHECKED, lambda text, n: 0.3 if n == 0 else 1.0)  # cut off once
    clip = PhraseCache(engine, tmp_path).clip(LONG, VOICE)
    assert engine.calls[LONG] == 3
    assert len(clip) == len(tone(0.85 * expected_seconds(LONG, 150), LONG))


def test_a_plausible_long_clip_is_spoken_once(tmp_path: Path) -> None:
    engine = ScriptedEngine(CHECKED)
    PhraseCache(engine, tmp_path).clip(LONG, VOICE)
    assert engine.calls[LONG] == 1


def test_clips_that_never_agree_are_an_error_and_nothing_is_cached(tmp_path: Path) -> None:
    engine = ScriptedEngine(CHECKED, lambda text, n: 1.0 + 0.1 * n)
    cache = PhraseCache(engine, tmp_path)
    with pytest.raises(SpeechError) as caught:
        cache.clip(SHORT, VOICE)
    assert str(caught.value).startswith('scripted gave a different clip for "Two" each time (')
    assert str(caught.value).endswith("; nothing was cached")
    assert engine.calls[SHORT] == 3
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_tolerance_lets_a_slightly_varying_engine_through(tmp_path: Path) -> None:
    loose = ClipCheck(default_rate=150, repeat_below=1.0, repeat_tolerance=0.02)
    engine = ScriptedEngine(loose, lambda text, n: 1.0 + 0.005 * n)
    PhraseCache(engine, tmp_path).clip(SHORT, VOICE)
    assert engine.calls[SHORT] == 2


def test_an_engine_without_a_rate_gets_no_length_check() -> None:
    unrated = ClipCheck(default_rate=None)
    far_off = tone(20.0, LONG)
    assert length_problem(LONG, Voice(engine="x", rate=None), far_off, unrated) is None
    assert length_problem(LONG, VOICE, far_off, unrated) is not None  # the voice has a rate


def test_the_length_check_names_rate_and_lengths() -> None:
    problem = length_problem(LONG, VOICE, tone(0.5, LONG), CHECKED)
    assert problem is not None
    assert problem.startswith("it lasts 0.50 s where 150 words a minute imply about ")


def test_short_phrases_get_no_length_check_only_the_repeat() -> None:
    assert syllables(SHORT) < 6
    assert length_problem(SHORT, VOICE, tone(9.0, SHORT), CHECKED) is None


def test_confirmed_clip_counts_the_agreeing_syntheses() -> None:
    clips = iter([tone(0.4, "a"), tone(0.4, "a")])
    clip, agreeing = confirmed_clip(SHORT, VOICE, lambda: next(clips), CHECKED, "x")
    assert (len(clip), agreeing) == (round(0.4 * SAMPLE_RATE), 2)
    one = iter([tone(4.0, "a")])
    assert confirmed_clip(LONG, VOICE, lambda: next(one), ClipCheck(), "x")[1] == 1


@given(st.integers(1, 10**6), st.integers(1, 10**6), st.floats(0, 0.5))
def test_agreement_is_symmetric_and_exact_at_zero_tolerance(a: int, b: int, tol: float) -> None:
    x, y = Clip(np.ones(a, "f4"), SAMPLE_RATE), Clip(np.ones(b, "f4"), SAMPLE_RATE)
    assert agree(x, y, tol) == agree(y, x, tol)
    assert agree(x, x, 0.0)
    if abs(a - b) > 1:
        assert not agree(x, y, 0.0)


@given(st.text(min_size=1, max_size=200), st.integers(80, 450))
def test_expected_length_grows_with_text_and_shrinks_with_rate(text: str, rate: int) -> None:
    seconds = expected_seconds(text, rate)
    assert seconds >= 0
    assert expected_seconds(text + " and then more words", rate) > seconds
    assert expected_seconds(text, rate * 2) <= seconds
