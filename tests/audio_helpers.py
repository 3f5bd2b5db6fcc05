"""Shared helpers for the audio tests: synthetic clips, a small timeline, ffmpeg probes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np

from voicecoach.audio import MixLevels, RenderAssembly, load_tones
from voicecoach.speech.base import Clip
from voicecoach.timeline.model import Chapter, Event, Timeline
from voicecoach.timeline.tone_lengths import TONE_LENGTHS
from voicecoach.wavio import SAMPLE_RATE

SR = SAMPLE_RATE


def speech_like(seconds: float, level_db: float, seed: int) -> np.ndarray:
    """Speech-like float32 audio: voiced harmonics and noise in 4 Hz "syllables"."""
    n = round(seconds * SR)
    t = np.arange(n) / SR
    rng = np.random.default_rng(seed)
    pitch = 140 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    noise = rng.standard_normal(n) * 0.3
    syllables = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6)), 0, None) ** 0.7
    x = (voiced + noise) * syllables
    edges = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.01 * SR))
    x = x * edges
    x = x / np.sqrt(np.mean(x**2)) * 10 ** (level_db / 20)
    return x.astype(np.float32)


def speech_event(start: float, text: str, seconds: float, **fields) -> Event:
    """A speech event of ``seconds`` at ``start`` (end from the sample count)."""
    return Event("speech", start, start + round(seconds * SR) / SR, text=text, **fields)


def tone_event(start: float, tone: str, **fields) -> Event:
    """A tone event of the tone's fixed length."""
    return Event("tone", start, start + TONE_LENGTHS[tone], tone=tone, **fields)


SPEECH = {
    "Welcome to the session.": (2.0, -6.0),
    "Lift the top knee, slowly.": (1.5, -32.0),
    "Hold it & breathe <calmly>.": (1.5, -14.0),
}
"""Text -> (seconds, source RMS dBFS): loud, very quiet and medium clips."""

ISOLATED_TONES = (("count", 3.0), ("count", 4.0), ("go", 4.6), ("up", 7.5), ("side", 8.2))
"""(tone, start) pairs with nothing else within 0.3 s."""


def demo_timeline(title: str = "Hip stability, week 1") -> Timeline:
    """A 12 s timeline: 3 speech events, isolated tones, one tone over speech, 3 chapters."""
    texts = list(SPEECH)
    events = [
        speech_event(0.5, texts[0], SPEECH[texts[0]][0]),
        *(tone_event(start, tone, exercise=0) for tone, start in ISOLATED_TONES[:3]),
        speech_event(5.6, texts[1], SPEECH[texts[1]][0], exercise=0),
        *(tone_event(start, tone, exercise=0) for tone, start in ISOLATED_TONES[3:]),
        speech_event(9.0, texts[2], SPEECH[texts[2]][0], exercise=1),
        tone_event(9.6, "end", exercise=1),
        tone_event(11.0, "down", exercise=1),
    ]
    events.sort(key=lambda e: e.start)
    chapters = (
        Chapter("Introduction", 0.0, 3.0),
        Chapter("Hip exorotation, side-lying", 3.0, 8.0, exercise=0),
        Chapter("Bridge hold", 8.0, 12.0, exercise=1),
    )
    return Timeline(title=title, duration=12.0, chapters=chapters, events=tuple(events))


def demo_speech() -> dict[str, Clip]:
    """Clips for every text of ``demo_timeline``."""
    return {
        text: Clip(speech_like(seconds, level, seed), SR)
        for seed, (text, (seconds, level)) in enumerate(SPEECH.items())
    }


def demo_assembly(title: str = "Hip stability, week 1") -> RenderAssembly:
    """The demo timeline with its speech clips and the bundled tones."""
    return RenderAssembly(demo_timeline(title), demo_speech(), load_tones())


def ffprobe(path: Path) -> dict:
    """ffprobe's format, streams and chapters as JSON."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters"]
        + ["-of", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return json.loads(out)


def decode(path: Path) -> np.ndarray:
    """The file decoded by ffmpeg to float mono 44.1 kHz."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(SR), "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


def ebur128(path: Path, peak: str = "sample") -> tuple[float, float]:
    """(integrated loudness LUFS, PEAK peak: sample dBFS or true dBTP) as ffmpeg's
    ebur128 filter measures."""
    err = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path)]
        + ["-af", f"ebur128=peak={peak}", "-f", "null", "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stderr
    summary = err[err.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    return integrated, float(re.search(r"Peak:\s+(-?[\d.inf]+) dBFS", summary).group(1))


def onset(samples: np.ndarray, expected: float, search: float = 0.05) -> float:
    """Time of the first sample above 10% of the local peak near ``expected`` seconds."""
    lo = max(0, round((expected - search) * SR))
    hi = round((expected + search + 0.1) * SR)
    window = np.abs(samples[lo:hi])
    first = int(np.argmax(window > 0.1 * window.max()))
    return (lo + first) / SR


def rms_db(samples: np.ndarray) -> float:
    """RMS level in dBFS (-inf for digital silence)."""
    power = float(np.mean(np.asarray(samples, dtype=np.float64) ** 2))
    return 10 * np.log10(power) if power > 0 else -np.inf


def render(timeline: Timeline, speech, tones, levels: MixLevels | None = None) -> np.ndarray:
    """The whole track as build and play mix it (calibrated)."""
    return RenderAssembly(timeline, speech, tones, levels or MixLevels()).mixer().track()


def make_music(
    path: Path,
    seconds: float,
    freqs: tuple[float, ...] = (220.0, 277.18, 329.63),
    rate: int = 48000,
    channels: int = 2,
) -> Path:
    """A synthetic music file (a chord of sines; format from PATH's suffix) made with
    ffmpeg's lavfi sources, never downloaded."""
    inputs: list[str] = []
    for freq in freqs:
        inputs += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={freq}:duration={seconds}:sample_rate={rate}",
        ]
    layout = "stereo" if channels == 2 else "mono"
    graph = "".join(f"[{i}]" for i in range(len(freqs))) + (
        f"amix=inputs={len(freqs)}:normalize=0,volume={0.6 / len(freqs)},"
        f"aformat=channel_layouts={layout}"
    )
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            *inputs,
            "-filter_complex",
            graph,
            "-ar",
            str(rate),
            str(path),
        ],
        check=True,
    )
    return path
