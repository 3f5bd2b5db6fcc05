"""The loudness meter agrees with an independent one (ffmpeg's ebur128) within 0.2 LU.

The mixer calibrates every track with this meter, so a meter that drifted would make
tracks too loud or too quiet; ffmpeg's filter is the reference.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from audio_helpers import SR, demo_assembly, ebur128, speech_like

from voicecoach.audio.loudness import LoudnessMeter, integrated_loudness
from voicecoach.wavio import build_wav, pcm16

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

AGREEMENT_LU = 0.2


def streamed(samples: np.ndarray) -> float:
    """LoudnessMeter fed in uneven blocks, as the mixer feeds it."""
    meter = LoudnessMeter(SR)
    for block in np.array_split(samples, 37):
        meter.feed(block)
    return meter.integrated()


def tone(freq: float, seconds: float, level_db: float) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def signals() -> dict[str, np.ndarray]:
    """A mixed session, speech-like noise with pauses, tones low and high, quiet and loud."""
    silence = np.zeros(SR * 2, dtype=np.float32)
    return {
        "mixed demo session": demo_assembly().mixer().track(),
        "speech with pauses": np.concatenate(
            [speech_like(3.0, -20, 1), silence, speech_like(4.0, -30, 2), silence]
        ),
        "100 Hz": tone(100, 5.0, -12),
        "1 kHz, gated quiet tail": np.concatenate([tone(1000, 5.0, -6), tone(1000, 5.0, -70)]),
        "8 kHz": tone(8000, 5.0, -20),
    }


@pytest.mark.e2e
@pytest.mark.parametrize("name", list(signals()))
def test_meter_agrees_with_ffmpeg_ebur128(tmp_path, name):
    samples = signals()[name]
    path = tmp_path / "signal.wav"
    path.write_bytes(build_wav(pcm16(samples), SR))
    reference, _ = ebur128(path)
    quantised = np.asarray(np.frombuffer(pcm16(samples), "<i2") / 32768.0, dtype=np.float32)
    assert integrated_loudness(quantised, SR) == pytest.approx(reference, abs=AGREEMENT_LU)
    assert streamed(quantised) == pytest.approx(reference, abs=AGREEMENT_LU)
