"""Every pyttsx3 utterance from a fresh espeak-ng: a forked child per phrase.

pyttsx3 2.99 with its espeak-ng driver cannot give a phrase's audio from the phrase alone:

- espeak-ng carries state from one utterance to the next, so the same phrase comes out a
  few samples longer or shorter depending on what was said before it; espeak-ng can be
  started only once per process, so only a new process starts from the same state;
- `runAndWait` runs the queued `setProperty` calls and then `endLoop`, which calls
  `espeak_Cancel()` whenever espeak-ng's command queue is still busy: a rate change still
  in that queue is dropped and the previous settings come back (about 1 fresh engine in
  80 under load spoke at 200 words a minute instead of 120);
- `getProperty("rate")` binds `espeak_GetParameter` without its `current` argument, so it
  returns espeak-ng's default (175) or the current rate at random (5 starts in 100);
- `runAndWait` returns after about 10 ms, whether or not the audio has been written.

So each utterance runs in a child forked from the (never initialised) worker: it starts
pyttsx3, waits until espeak-ng's queue is idle, sets voice and rate on espeak-ng itself,
waits again and reads both back, speaks into a pipe, waits for pyttsx3's
"finished-utterance" and reads the settings back once more. Nothing is written to disk.
The child dies with its parent (PR_SET_PDEATHSIG) and after CHILD_LIMIT_S in any case.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from voicecoach.errors import SpeechError
from voicecoach.parent_watch import die_with_parent

CHILD_LIMIT_S = 120
"""Seconds a child may live at all (the engine's own per-phrase deadline is shorter)."""
IDLE_LIMIT_S = 10.0
"""Seconds espeak-ng's command queue may stay busy before settings are applied."""
UTTERANCE_LIMIT_S = 60.0
"""Seconds the child waits for pyttsx3 to finish writing the audio."""


def fork_supported() -> bool:
    """Whether utterances can run in forked children here."""
    return hasattr(os, "fork") and os.path.exists("/dev/fd")


def speak(text: str, voice_id: str | None, rate: int, driver: str | None) -> bytes:
    """The WAV file pyttsx3 writes for TEXT, spoken by a fresh engine in a child."""

    def job(data_fd: int) -> dict[str, Any]:
        return _utterance(text, voice_id, rate, driver, data_fd)

    data, _ = _in_child(job)
    if not data:
        raise SpeechError("pyttsx3 wrote no audio")
    return data


def list_voices(driver: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """pyttsx3's voices (id, name, languages) and its default voice id, from a child."""
    _, status = _in_child(lambda data_fd: _voices(driver))
    return status["voices"], status["default"]


def _in_child(job: Callable[[int], dict[str, Any]]) -> tuple[bytes, dict[str, Any]]:
    """Run JOB(data_fd) in a forked child: the bytes it wrote to data_fd and its result."""
    data_r, data_w = os.pipe()
    status_r, status_w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child_main(job, parent, data_w, status_w, (data_r, status_r))
    os.close(data_w)
    os.close(status_w)
    try:
        with os.fdopen(data_r, "rb") as data_pipe:
            data = data_pipe.read()
        with os.fdopen(status_r, "rb") as status_pipe:
            raw = status_pipe.read()
        _, code = os.waitpid(pid, 0)
    except BaseException:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        raise
    try:
        status = json.loads(raw) if raw else {}
    except ValueError:
        status = {}
    if not status.get("ok"):
        how = _exit_description(code)
        raise SpeechError(str(status.get("error") or f"the pyttsx3 child process {how}"))
    return data, status


def _child_main(
    job: Callable[[int], dict[str, Any]],
    parent: int,
    data_w: int,
    status_w: int,
    unused: tuple[int, ...],
) -> None:
    """The forked child: run JOB, report on status_w, exit without Python's cleanup."""
    code = 1
    try:
        for fd in unused:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # pyttsx3 prints "Audio saved to ..."
        os.close(devnull)
        die_with_parent(parent)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(CHILD_LIMIT_S)
        result = {"ok": True, **job(data_w)}
        code = 0
    except SpeechError as exc:
        result = {"ok": False, "error": exc.message}
    except BaseException as exc:  # every failure is an answer
        result = {"ok": False, "error": f"pyttsx3 failed: {type(exc).__name__}: {exc}"}
    try:
        with contextlib.suppress(OSError):
            os.close(data_w)  # the parent reads the audio to its end first
        payload = json.dumps(result).encode()
        while payload:
            payload = payload[os.write(status_w, payload) :]
    finally:
        os._exit(code)


def _exit_description(code: int) -> str:
    if os.WIFSIGNALED(code):
        return f"was killed by signal {os.WTERMSIG(code)}"
    return f"stopped with exit status {os.waitstatus_to_exitcode(code)}"


def _start(driver: str | None) -> tuple[Any, Any]:
    """pyttsx3 and its espeak-ng binding, started in this (fresh) process."""
    import pyttsx3
    from pyttsx3.drivers import _espeak

    return pyttsx3.init(driver), _espeak


def _voices(driver: str | None) -> dict[str, Any]:
    tts, _ = _start(driver)
    voices = [
        {"id": str(v.id), "name": str(v.name or v.id), "languages": _languages(v)}
        for v in tts.getProperty("voices")
    ]
    return {"voices": voices, "default": tts.getProperty("voice")}


def _languages(voice: Any) -> list[str]:
    tags = []
    for lang in getattr(voice, "languages", None) or ():
        tag = lang.decode("utf-8", "ignore") if isinstance(lang, bytes) else str(lang)
        tag = tag.strip().lower().replace("_", "-")
        if tag:
            tags.append(tag)
    return tags


def _utterance(
    text: str, voice_id: str | None, rate: int, driver: str | None, data_fd: int
) -> dict[str, Any]:
    """Speak TEXT once into data_fd with the settings applied and confirmed around it."""
    tts, binding = _start(driver)
    espeak = EspeakSettings(binding)
    finished = threading.Event()
    outcome: list[bool] = []

    def on_finished(completed: bool = True, **_: Any) -> None:
        outcome.append(bool(completed))
        finished.set()

    tts.connect("finished-utterance", on_finished)
    espeak.apply(voice_id, rate)
    tts.save_to_file(text, f"/dev/fd/{data_fd}")
    tts.runAndWait()
    if not finished.wait(UTTERANCE_LIMIT_S):
        raise SpeechError(f"pyttsx3 did not finish speaking within {UTTERANCE_LIMIT_S:g} s")
    if outcome != [True]:
        raise SpeechError("pyttsx3 stopped the utterance before its end")
    espeak.wait_idle()
    espeak.confirm(voice_id, rate)
    return {"rate": rate}


class EspeakSettings:
    """Voice and rate set on espeak-ng directly, and read back (pyttsx3's binding)."""

    def __init__(self, binding: Any) -> None:
        self._espeak = binding
        prototype = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int)
        self._get_parameter = prototype(("espeak_GetParameter", binding.dll))

    def wait_idle(self) -> None:
        """Return once espeak-ng's command queue has run everything given to it."""
        deadline = time.monotonic() + IDLE_LIMIT_S
        while self._espeak.IsPlaying():
            if time.monotonic() > deadline:
                raise SpeechError(f"espeak-ng stayed busy for {IDLE_LIMIT_S:g} s")
            time.sleep(0.001)

    def apply(self, voice_id: str | None, rate: int) -> None:
        """Set voice (at once) and rate (queued), then confirm both took effect."""
        self.wait_idle()  # nothing runs in espeak-ng's thread while the voice loads
        if voice_id is not None and self._espeak.SetVoiceByName(voice_id.encode("utf-8")) != 0:
            raise SpeechError(f'espeak-ng could not load the voice "{voice_id}"')
        self._espeak.SetParameter(self._espeak.RATE, rate, 0)
        self.wait_idle()
        self.confirm(voice_id, rate)

    def confirm(self, voice_id: str | None, rate: int) -> None:
        """SpeechError unless espeak-ng's current voice and rate are these."""
        actual = self._get_parameter(self._espeak.RATE, 1)
        if actual != rate:
            raise SpeechError(f"espeak-ng speaks at {actual} words a minute, not {rate}")
        if voice_id is None:
            return
        current = self._espeak.GetCurrentVoice()
        identifier = current.contents.identifier if current else None
        loaded = identifier.decode("utf-8", "replace").lower() if identifier else None
        if loaded != voice_id.lower():
            raise SpeechError(f'espeak-ng speaks with voice "{loaded}", not "{voice_id}"')
