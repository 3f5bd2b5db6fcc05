"""Engines in a worker process: reuse, timeouts, failures and crashes (with the fake)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from speech_helpers import isolated_fake

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.base import estimate_samples
from voicecoach.speech.engine_process import IsolatedEngine
from voicecoach.speech.fake import FakeEngine

VOICE = Voice(engine="fake")
ROOT = str(Path(__file__).resolve().parents[1])


def isolated(timeout: float = 10.0, **options: object) -> IsolatedEngine:
    return IsolatedEngine(
        "voicecoach.speech.fake:FakeEngine", options, name="fake", timeout=timeout
    )


def test_worker_returns_the_same_clip_as_in_process_and_is_reused() -> None:
    with isolated() as engine:
        for text in ("Go.", "Keep your pelvis still.", "Go."):
            clip = engine.synthesize(text, VOICE)
            assert clip.sample_rate == 44100
            assert len(clip) == estimate_samples(text)
            assert np.array_equal(clip.samples, FakeEngine().synthesize(text, VOICE).samples)
        assert engine.workers_started == 1
        assert [v.id for v in engine.voices("nl")] == ["fake-nl"]


def test_hanging_engine_is_stopped_after_the_timeout() -> None:
    engine = isolated_fake(0.5, hang_seconds=60)
    assert isinstance(engine, IsolatedEngine)
    started = time.monotonic()
    with pytest.raises(SpeechError) as caught:
        engine.synthesize("Lower the knee slowly.", VOICE)
    elapsed = time.monotonic() - started
    engine.close()
    assert elapsed < 10  # the first call includes starting the worker
    message = str(caught.value)
    assert '"Lower the knee slowly."' in message
    assert "0.5 s" in message and "stopped" in message


@pytest.mark.e2e
def test_after_a_timeout_a_fresh_worker_speaks_the_next_phrase() -> None:
    with isolated(timeout=0.5, hang_seconds=60, hang_on="slow") as engine:
        assert len(engine.synthesize("quick", VOICE)) == estimate_samples("quick")
        pid = engine._worker.process.pid
        with pytest.raises(SpeechError, match='"a slow phrase"'):
            engine.synthesize("a slow phrase", VOICE)
        assert len(engine.synthesize("quick again", VOICE)) == estimate_samples("quick again")
        assert engine.workers_started == 2
        assert engine._worker.process.pid != pid


def test_failing_engine_names_the_phrase_and_the_worker_survives() -> None:
    with isolated(fail_on="band") as engine:
        with pytest.raises(SpeechError, match=r'fake could not speak "Loop the band.*simulated'):
            engine.synthesize("Loop the band around your knees.", VOICE)
        assert len(engine.synthesize("Breathe.", VOICE)) == estimate_samples("Breathe.")
        assert engine.workers_started == 1


def test_engine_returning_nothing_through_the_worker_is_an_error() -> None:
    from voicecoach.speech import synthesize_checked

    with (
        isolated(fail_on="band", fail_mode="empty") as engine,
        pytest.raises(SpeechError, match=r'"Loop the band\."'),
    ):
        synthesize_checked(engine, "Loop the band.", VOICE)


def test_crashing_engine_is_reported_with_its_last_words() -> None:
    with isolated(crash_on="boom") as engine:
        with pytest.raises(SpeechError) as caught:
            engine.synthesize("boom goes the engine", VOICE)
        assert '"boom goes the engine"' in str(caught.value)
        assert "simulated crash" in str(caught.value)
        assert len(engine.synthesize("still here", VOICE)) == estimate_samples("still here")
        assert engine.workers_started == 2


def test_engine_that_cannot_start_is_a_speech_error() -> None:
    engine = IsolatedEngine("voicecoach.speech.fake:NoSuchEngine", name="ghost", timeout=5)
    with pytest.raises(SpeechError, match="ghost"):
        engine.synthesize("Hello.", VOICE)


def test_close_stops_the_worker_process() -> None:
    engine = isolated()
    engine.synthesize("Hello.", VOICE)
    process = engine._worker.process
    engine.close()
    assert process.poll() is not None


@pytest.mark.e2e
def test_forked_child_starts_its_own_worker_and_leaves_the_parents_alone() -> None:
    with isolated() as engine:
        engine.synthesize("Hello.", VOICE)
        parent_worker = engine._worker.process
        pid = os.fork()
        if pid == 0:  # the child: must not talk to (or kill) the parent's worker
            try:
                ok = len(engine.synthesize("From the child.", VOICE)) > 0
                ok = ok and engine._worker.process.pid != parent_worker.pid
                engine.close()
            finally:
                os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert parent_worker.poll() is None
        assert len(engine.synthesize("Still mine.", VOICE)) == estimate_samples("Still mine.")
        assert engine._worker.process is parent_worker


HANGING_CLIENT = """
import sys
from voicecoach.script.model import Voice
from voicecoach.speech.engine_process import IsolatedEngine
engine = IsolatedEngine(
    "voicecoach.speech.fake:FakeEngine", {"hang_seconds": 600}, name="fake", timeout=600
)
engine.check()
print(engine._worker.process.pid, flush=True)
engine.synthesize("Hang here.", Voice())
"""


@pytest.mark.e2e
def test_worker_of_a_killed_parent_exits_even_while_hanging() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    client = subprocess.Popen(
        [sys.executable, "-c", HANGING_CLIENT], stdout=subprocess.PIPE, env=env
    )
    worker_pid = int(client.stdout.readline())
    time.sleep(0.3)  # let the worker start hanging on the phrase
    assert pid_alive(worker_pid)
    client.kill()
    client.wait()
    client.stdout.close()
    deadline = time.monotonic() + 5
    while pid_alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(worker_pid)


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@pytest.mark.e2e
def test_interrupted_request_discards_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    with isolated() as engine:
        engine.synthesize("Hello.", VOICE)
        first = engine._worker

        def interrupted(request: object, timeout: float) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(first, "ask", interrupted)
        with pytest.raises(KeyboardInterrupt):
            engine.synthesize("Hello again.", VOICE)
        assert first.process.poll() is not None
        assert len(engine.synthesize("After.", VOICE)) == estimate_samples("After.")
        assert engine.workers_started == 2
