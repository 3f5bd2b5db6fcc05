"""Any speech program as an engine: `voice: {engine: command, options: {run: "..."}}`.

`run` is a command line with placeholders: `{text}` (the phrase; without it the phrase
goes to the program's stdin), `{voice}` (voice.name) and `{out}` (a fresh WAV path to
write; without it the audio is read from stdout). It is split like a shell would
(shlex) but run without one, so a phrase can't inject anything; a program that doesn't
finish within `timeout` seconds is killed with everything it started.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from voicecoach.errors import SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.audiofile import read_clip
from voicecoach.speech.base import Clip, ClipCheck, OptionSpec, VoiceInfo, quote_phrase, voice_key
from voicecoach.speech.engine_process import DEFAULT_TIMEOUT

PLACEHOLDERS = ("text", "voice", "out")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
OPTIONS = ("run", "timeout")
READER = "reader/2"
"""How the command's audio is read, in every sound key: 2 reads float and 64-bit WAVs
itself (pydub read extensible float as integers: entries made before are spoken again)."""
VOICE_OPTIONS = MappingProxyType(
    {
        "run": OptionSpec(str, "run: the command line, with {text}, {voice} and {out}"),
        "timeout": OptionSpec(float, "timeout: seconds one line may take", 0.1, 600),
    }
)


@dataclass(frozen=True)
class CommandSettings:
    """The command line to run (split into arguments) and its time limit."""

    run: tuple[str, ...]
    """Arguments, placeholders still in them."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one phrase may take."""


def parse_settings(options: Mapping[str, Any] | None) -> CommandSettings:
    """CommandSettings from `voice.options`; ValueError naming what is wrong."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"unknown command option '{unknown[0]}'; known: {', '.join(OPTIONS)}")
    if "run" not in options:
        raise ValueError(
            'the command engine needs options.run, e.g. "espeak-ng -v {voice} -w {out} {text}"'
        )
    run = options["run"]
    if isinstance(run, str):
        try:
            args = tuple(shlex.split(run))
        except ValueError as exc:
            raise ValueError(f"options.run is not a valid command line: {exc}") from None
    elif isinstance(run, list | tuple) and all(isinstance(a, str) for a in run):
        args = tuple(run)
    else:
        raise ValueError("options.run must be a command line (text) or a list of arguments")
    if not args:
        raise ValueError("options.run is empty")
    for arg in args:
        for name in _PLACEHOLDER.findall(arg):
            if name not in PLACEHOLDERS:
                raise ValueError(
                    f"options.run: unknown placeholder {{{name}}}; use {{text}}, {{voice}}, {{out}}"
                )
    timeout = options.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
        raise ValueError("options.timeout must be seconds from 0 to 600")
    return CommandSettings(args, float(timeout))


class CommandEngine:
    """Runs the programme's command once per phrase and reads the WAV it writes."""

    name = "command"
    rates = (1, 1000)  # the program gets no rate; {voice} or run say how it speaks
    voice_options = VOICE_OPTIONS
    clip_check = ClipCheck(default_rate=None)
    """No rate to check a program's lengths against; a short line is still said twice."""

    def check(self) -> None:
        """Nothing to check before a voice names its command."""

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        """A command's voices are the program's own: none to list."""
        return []

    def settings(self, voice: Voice) -> CommandSettings:
        """The voice's command; SpeechError if its options are bad or the program is missing."""
        try:
            settings = parse_settings(voice.option_map())
        except ValueError as exc:
            raise SpeechError(str(exc)) from None
        if shutil.which(settings.run[0]) is None:
            raise SpeechError(f"the command engine's program {settings.run[0]!r} was not found")
        return settings

    def sound_key(self, voice: Voice) -> list[Any]:
        """The command line and the program it runs (path, size, modification time), and
        how its output is read (`READER`)."""
        settings = self.settings(voice)
        program = Path(shutil.which(settings.run[0]) or settings.run[0]).resolve()
        stat = program.stat()
        return ["command", READER, str(program), stat.st_size, stat.st_mtime_ns, *voice_key(voice)]

    def cache_key(self, voice: Voice) -> str:
        """sha256 of the sound key."""
        return hashlib.sha256(json.dumps(self.sound_key(voice)).encode()).hexdigest()

    def close(self) -> None:
        """Nothing to release (one process per line)."""

    def synthesize(self, text: str, voice: Voice) -> Clip:
        """Run the command for TEXT and read the audio it wrote."""
        phrase = quote_phrase(text)
        if not text.strip():
            raise SpeechError(f"command engine cannot speak an empty phrase {phrase}")
        settings = self.settings(voice)
        program = settings.run[0]
        with tempfile.TemporaryDirectory(prefix="voicecoach-command-") as scratch:
            out = Path(scratch) / "phrase.wav"
            values = {"text": text, "voice": voice.name or "", "out": str(out)}
            uses = {name for arg in settings.run for name in _PLACEHOLDER.findall(arg)}
            args = [_fill(arg, values) for arg in settings.run]
            stdin = None if "text" in uses else text.encode("utf-8")
            stdout = _run(args, stdin, settings.timeout, f"{program} speaking {phrase}")
            if "out" not in uses:
                out.write_bytes(stdout)
            if not out.is_file() or out.stat().st_size == 0:
                where = "{out}" if "out" in uses else "stdout"
                raise SpeechError(f"{program} wrote no audio to {where} for {phrase}")
            try:
                return read_clip(out)
            except SpeechError as exc:
                detail = exc.message.replace(str(out), "its output")
                raise SpeechError(f"{program} speaking {phrase}: {detail}") from None


def _fill(arg: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], arg)


def _run(args: list[str], stdin: bytes | None, timeout: float, doing: str) -> bytes:
    """Run ARGS in a session of its own; kill the whole group on timeout."""
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise SpeechError(f"cannot run {doing}: {exc.strerror or exc}") from None
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise SpeechError(f"{doing} did not finish within {timeout:g} s; it was stopped") from None
    except BaseException:
        _kill_group(process)
        raise
    if process.returncode != 0:
        lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
        detail = next((line for line in reversed(lines) if line), "")
        status = f"exit status {process.returncode}"
        raise SpeechError(f"{doing} failed ({status})" + (f": {detail}" if detail else ""))
    return stdout


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    process.communicate()
