"""The worker process behind IsolatedEngine: `python -m voicecoach.speech.engine_process_main`.

It reads one JSON request per line on stdin and answers on stdout with one JSON line,
followed, for a clip, by `frames` little-endian float32 samples. Everything else the
engine prints is sent to stderr so it can't corrupt the protocol.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import time
from typing import Any, BinaryIO

import numpy as np

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.base import quote_phrase

ORPHAN_POLL_S = 1.0


def make_engine(factory: str, options: dict[str, Any]) -> Any:
    """Build the engine named "package.module:Class" with keyword options."""
    module_name, _, attr = factory.partition(":")
    return getattr(importlib.import_module(module_name), attr)(**options)


def handle(engine: Any, request: dict[str, Any], out: BinaryIO) -> None:
    """Answer one request (check, voices or synthesize) on OUT."""
    op = request.get("op")
    if op == "check":
        engine.check()
        _send(out, {"ok": True})
    elif op == "voices":
        voices = engine.voices(request.get("language"))
        rows = [[v.id, v.name, list(v.languages), v.engine, v.quality] for v in voices]
        _send(out, {"ok": True, "voices": rows})
    elif op == "synthesize":
        clip = engine.synthesize(request["text"], _voice(request["voice"]))
        pcm = np.ascontiguousarray(clip.samples, dtype="<f4").tobytes()
        _send(out, {"ok": True, "sample_rate": clip.sample_rate, "frames": len(clip)}, pcm)
    else:
        raise ValueError(f"unknown request {op!r}")


def _voice(fields: dict[str, Any]) -> Voice:
    """The Voice of a request (options arrive as [key, value] pairs)."""
    options = tuple((str(key), value) for key, value in fields.get("options", ()))
    return Voice(fields["engine"], fields["name"], fields["rate"], options)


def _send(out: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    out.write(json.dumps(header).encode() + b"\n" + payload)
    out.flush()


def _error(engine_name: str, request: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """An error answer; failures while speaking name the phrase."""
    if isinstance(exc, SpeechError):
        return {"ok": False, "error": exc.message, "kind": type(exc).__name__}
    detail = f"{type(exc).__name__}: {exc}"
    if request.get("op") == "synthesize":
        phrase = quote_phrase(str(request.get("text", "")))
        return {"ok": False, "error": f"{engine_name} could not speak {phrase}: {detail}"}
    return {"ok": False, "error": f"{engine_name} failed: {detail}"}


def _exit_when_orphaned(parent: int) -> None:
    """Watchdog thread: end this process if its parent dies (even mid-phrase)."""
    while True:
        time.sleep(ORPHAN_POLL_S)
        if os.getppid() != parent:
            os._exit(1)


def main() -> None:
    """Serve requests until stdin closes. The first request must be "init"."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints (pyttsx3 says "Audio saved to ...") go to stderr
    engine: Any = None
    name = "engine"
    for line in sys.stdin.buffer:
        request: dict[str, Any] = {}
        try:
            request = json.loads(line)
            if request.get("op") == "init":
                name = request.get("name", name)
                engine = make_engine(request["factory"], request.get("options") or {})
                _send(out, {"ok": True})
            elif engine is None:
                raise RuntimeError("the worker was not initialised")
            else:
                handle(engine, request, out)
        except Exception as exc:  # every failure is an answer, never a dead worker
            _send(out, _error(name, request, exc))


if __name__ == "__main__":
    main()
