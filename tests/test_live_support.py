"""Shared pieces for the live tests: a tiny programme spoken by the fake engine."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from audio_helpers import render

from voicecoach import pipeline
from voicecoach.audio.assets import load_tones
from voicecoach.audio.mixer import Mixer
from voicecoach.script import Programme
from voicecoach.speech.cache import PhraseCache
from voicecoach.timeline.model import Timeline
from voicecoach.wavio import SAMPLE_RATE

TINY = """\
title: Tiny live session
voice: {engine: fake}
intro: true
defaults:
  rest: 3s
  countdown: 2
exercises:
  - name: Knee lift
    sets: 1
    reps: 2
    tempo: 1-0-1
  - name: Hold
    sets: 1
    work: 3s
  - name: Squat
    sets: 1
    reps: 2
    tempo: 1-0-1
"""
"""Intro, three short exercises, outro: about a minute of audio."""

SHORT = """\
title: Short
voice: {engine: fake}
intro: false
exercises:
  - name: Hold
    sets: 1
    work: 1s
"""
"""One exercise, no intro: a few seconds, for the real-device tests."""


@dataclass(frozen=True)
class Session:
    """A planned programme with its clips, ready to render or play."""

    script: Path
    """The programme file."""
    cache_dir: Path
    """The phrase cache folder the fake engine filled."""
    programme: Programme
    """The loaded programme."""
    timeline: Timeline
    """Its timeline."""
    cache: PhraseCache
    """The phrase cache."""

    def mixer(self) -> Mixer:
        """A fresh mixer for the timeline."""
        return pipeline.assemble(self.programme, self.timeline, self.cache).mixer()

    def chapter_frame(self, index: int) -> int:
        """First frame of chapter ``index``."""
        return round(self.timeline.chapters[index].start * SAMPLE_RATE)


def make_session(text: str, folder: Path) -> Session:
    """Write ``text`` as a programme in ``folder`` and plan it with a cache there."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "programme.yaml"
    script.write_text(text, encoding="utf-8")
    cache_dir = folder / "cache"
    programme = pipeline.load(script)
    cache = pipeline.open_cache(programme, cache_dir)
    timeline = pipeline.plan(programme, cache)
    return Session(script, cache_dir, programme, timeline, cache)


@functools.cache
def tiny() -> Session:
    """The tiny session, planned once per test run (in a temp folder removed at exit)."""
    folder = tempfile.mkdtemp(prefix="voicecoach-live-")
    atexit.register(shutil.rmtree, folder, True)
    return make_session(TINY, Path(folder))


@functools.cache
def tiny_mixer() -> Mixer:
    """One calibrated mixer for the tiny session, shared (mixers keep no play state)."""
    return tiny().mixer()


@functools.cache
def tiny_track() -> np.ndarray:
    """The whole tiny track as ``render`` makes it (the reference for every sink)."""
    session = tiny()
    speech = {t: session.cache.clip(t, session.programme.voice) for t in session.timeline.phrases()}
    return render(session.timeline, speech, load_tones())


def cli_env(session: Session) -> dict[str, str]:
    """Environment for running the CLI on ``session`` in a subprocess."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env["VOICECOACH_CACHE_DIR"] = str(session.cache_dir)
    return env
