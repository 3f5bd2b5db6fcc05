"""The alternative engine that runs the espeak-ng command directly."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech import get_engine
from voicecoach.speech.espeak_engine import EspeakNgEngine, parse_voices

LISTING = """\
Pty Language       Age/Gender VoiceName          File                 Other Languages
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  nl              --/M      Dutch              gmw/nl
"""


def test_parse_voices() -> None:
    voices = parse_voices(LISTING)
    assert [(v.id, v.name, v.languages) for v in voices] == [
        ("en-gb", "English (Great Britain)", ("en-gb", "en")),
        ("en-us", "English (America)", ("en-us", "en")),
        ("nl", "Dutch", ("nl",)),
    ]


def test_missing_command_gives_the_apt_command() -> None:
    engine = EspeakNgEngine(command="espeak-ng-not-here")
    with pytest.raises(SpeechError, match=r"run `sudo apt-get install espeak-ng`"):
        engine.check()
    with pytest.raises(SpeechError, match="apt-get install espeak-ng"):
        engine.synthesize("Hello.", Voice())


@pytest.mark.e2e
def test_espeak_ng_phrase_is_44100_hz_and_trimmed() -> None:
    engine = get_engine("espeak-ng", timeout=30)
    engine.check()
    clip = engine.synthesize("Keep your pelvis still.", Voice(name="en-gb", rate=150))
    assert clip.sample_rate == 44100
    assert 0.3 <= clip.duration <= 5.0
    edge = 441
    assert np.sqrt(np.mean(clip.samples[:edge] ** 2)) > 0.002
    assert np.sqrt(np.mean(clip.samples[-edge:] ** 2)) > 0.002
    slow = engine.synthesize("Keep your pelvis still.", Voice(name="en-gb", rate=90))
    assert slow.duration > 1.3 * clip.duration
    assert any(v.id == "nl" for v in engine.voices("nl"))


@pytest.mark.e2e
def test_espeak_ng_unknown_voice() -> None:
    with pytest.raises(SpeechError, match=r'unknown espeak-ng voice "xx-yy"; available: .*en'):
        EspeakNgEngine().synthesize("Hello.", Voice(name="xx-yy"))
