"""Run any engine in a worker process, so a hanging or crashing engine can be stopped.

`IsolatedEngine` forwards `check`, `voices` and `synthesize` to a long-lived
`python -m voicecoach.speech.engine_process_main` process. Each request has a deadline; a worker
that misses it is killed (and a fresh one started on the next request), and the
caller gets a SpeechError naming the phrase. The mechanism knows nothing about the
engine inside, so the fake engine's `hang_seconds` exercises the same code path as a
stuck pyttsx3.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from voicecoach.errors import SpeechError, UnknownVoiceError
from voicecoach.script.model import Voice
from voicecoach.speech.base import (
    Clip,
    ClipCheck,
    OptionSpec,
    SpeechEngine,
    VoiceInfo,
    quote_phrase,
)

DEFAULT_TIMEOUT = 30.0
"""Seconds one phrase may take before the engine is considered hung."""
STARTUP_TIMEOUT = 60.0
"""Seconds a fresh worker may take to import and initialise its engine."""

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class IsolatedEngine:
    """A SpeechEngine whose work happens in a worker process with per-request deadlines."""

    def __init__(
        self,
        factory: str,
        options: dict[str, Any] | None = None,
        *,
        name: str,
        timeout: float = DEFAULT_TIMEOUT,
        startup_timeout: float = STARTUP_TIMEOUT,
        profile: SpeechEngine | None = None,
    ) -> None:
        """FACTORY is "module:Class" of an in-process engine built with OPTIONS;
        PROFILE, an in-process instance of it, answers `rates`, `voice_options` and
        `sound_key` (a subclass may define those itself instead)."""
        self.name = name
        self.profile = profile
        self.factory = factory
        self.options = dict(options or {})
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self._worker: _Worker | None = None
        self._lock = threading.Lock()
        self.workers_started = 0
        """How many worker processes were started (1 while all goes well)."""

    @property
    def rates(self) -> tuple[int, int]:
        """The inner engine's rate range."""
        return self._profile().rates

    @property
    def voice_options(self) -> Mapping[str, OptionSpec]:
        """The inner engine's options."""
        return self._profile().voice_options

    @property
    def clip_check(self) -> ClipCheck:
        """The inner engine's clip check."""
        return self._profile().clip_check

    def sound_key(self, voice: Voice) -> list[Any]:
        """The inner engine's sound key."""
        return self._profile().sound_key(voice)

    def _profile(self) -> SpeechEngine:
        if self.profile is None:
            raise TypeError(f"{type(self).__name__} for {self.factory} needs a profile")
        return self.profile

    def check(self) -> None:
        """Start the worker and let the engine inside check itself."""
        self._request({"op": "check"}, self.startup_timeout, "while checking the engine")

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        """The inner engine's voices."""
        header, _ = self._request(
            {"op": "voices", "language": language}, self.startup_timeout, "listing voices"
        )
        return [VoiceInfo(i, n, tuple(langs), e, q) for i, n, langs, e, q in header["voices"]]

    def synthesize(self, text: str, voice: Voice) -> Clip:
        """Speak TEXT in the worker; SpeechError naming the phrase if it fails or hangs."""
        request = {
            "op": "synthesize",
            "text": text,
            "voice": {
                "engine": voice.engine,
                "name": voice.name,
                "rate": voice.rate,
                "options": [list(item) for item in voice.options],
            },
        }
        header, payload = self._request(request, self.timeout, f"speaking {quote_phrase(text)}")
        samples = np.frombuffer(payload, dtype="<f4").astype(np.float32)
        return Clip(samples, int(header["sample_rate"]))

    def close(self) -> None:
        """Stop the worker process (a new one starts if the engine is used again)."""
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    def __enter__(self) -> IsolatedEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, request: dict[str, Any], timeout: float, doing: str) -> tuple[dict, bytes]:
        with self._lock:
            worker = self._ensure_worker()
            try:
                header, payload = worker.ask(request, timeout)
            except TimeoutError:
                self._discard()
                raise SpeechError(
                    f"{self.name} did not finish {doing} within {timeout:g} s; "
                    "the engine was stopped"
                ) from None
            except EOFError:
                detail = worker.stderr_tail()
                self._discard()
                raise SpeechError(
                    f"{self.name} stopped unexpectedly while {doing}"
                    + (f": {detail}" if detail else "")
                ) from None
            except BaseException:  # e.g. Ctrl-C while waiting: its answer must not linger
                self._discard()
                raise
            if not header.get("ok"):
                kind = (
                    UnknownVoiceError if header.get("kind") == "UnknownVoiceError" else SpeechError
                )
                raise kind(str(header.get("error") or f"{self.name} failed {doing}"))
            return header, payload

    def _ensure_worker(self) -> _Worker:
        if self._worker is not None and self._worker.owner != os.getpid():
            self._worker = None  # inherited through fork: the parent's, not ours to use
        if self._worker is not None and self._worker.alive():
            return self._worker
        self._discard()
        worker = _Worker()
        self.workers_started += 1
        init = {"op": "init", "name": self.name, "factory": self.factory, "options": self.options}
        try:
            header, _ = worker.ask(init, self.startup_timeout)
        except (TimeoutError, EOFError):
            detail = worker.stderr_tail()
            worker.stop()
            raise SpeechError(
                f"{self.name} could not be started" + (f": {detail}" if detail else "")
            ) from None
        if not header.get("ok"):
            worker.stop()
            raise SpeechError(str(header.get("error") or f"{self.name} could not be started"))
        self._worker = worker
        return worker

    def _discard(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None


class _Worker:
    """One worker process, with a thread turning its stdout into whole answers."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _kill)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "voicecoach.speech.engine_process_main"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
            )
        except OSError as exc:
            self._stderr.close()
            raise SpeechError(f"could not start a speech worker process: {exc}") from exc
        self._answers: queue.Queue[tuple[dict, bytes] | None] = queue.Queue()
        reader = threading.Thread(target=_read_answers, args=(self.process.stdout, self._answers))
        reader.daemon = True
        reader.start()
        self.owner = os.getpid()
        self._finalizer = weakref.finalize(self, _kill, self.process, self._stderr, self.owner)

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict[str, Any], timeout: float) -> tuple[dict, bytes]:
        """Send a request and wait for its answer (TimeoutError, or EOFError if it died)."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            raise EOFError from None
        try:
            answer = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
        if answer is None:
            raise EOFError
        return answer

    def stderr_tail(self) -> str:
        """The last line the worker wrote to stderr (after it died), or ""."""
        try:
            self.process.wait(timeout=2)
            self._stderr.seek(0)
            lines = self._stderr.read()[-4000:].decode("utf-8", "replace").splitlines()
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return ""
        lines = [line.strip() for line in lines if line.strip()]
        return lines[-1] if lines else ""

    def stop(self) -> None:
        self._finalizer()


def _kill(process: subprocess.Popen, stderr: IO[bytes], owner: int) -> None:
    """Stop a worker for good and release its pipes (only in the process that started it)."""
    if os.getpid() != owner:
        return
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    stderr.close()  # stdout is left to the reader thread, which sees EOF and ends


def _read_answers(stream: IO[bytes], answers: queue.Queue) -> None:
    """Reader thread: one JSON header line (+ float32 payload) per answer; None at EOF."""
    try:
        while True:
            line = stream.readline()
            if not line:
                break
            header = json.loads(line)
            size = int(header.get("frames", 0)) * 4
            payload = stream.read(size) if size else b""
            if len(payload) < size:
                break
            answers.put((header, payload))
    except (OSError, ValueError):
        pass
    answers.put(None)
