"""An alternative engine: the `espeak-ng` command, one subprocess per phrase.

No pyttsx3 and no worker needed: `subprocess.run(timeout=...)` kills a stuck
espeak-ng, and the WAV it writes to stdout is read at its real sample rate.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from types import MappingProxyType
from typing import Any

from voicecoach.errors import SpeechError, UnknownVoiceError
from voicecoach.script.model import Voice
from voicecoach.speech.base import (
    Clip,
    ClipCheck,
    OptionSpec,
    VoiceInfo,
    language_matches,
    quote_phrase,
    voice_key,
)
from voicecoach.speech.dsp import finish
from voicecoach.speech.engine_process import DEFAULT_TIMEOUT
from voicecoach.wavio import WavFormatError, parse_wav

ESPEAK_MISSING = "espeak-ng is not installed: run `sudo apt-get install espeak-ng`"
_OTHER_LANGUAGE = re.compile(r"\(([^\s()]+)\s+\d+\)")


class EspeakNgEngine:
    """Speaks with `espeak-ng --stdout`; `timeout` seconds per phrase."""

    name = "espeak-ng"
    rates = (80, 450)
    voice_options = MappingProxyType(
        {
            "pitch": OptionSpec(int, "pitch: 0 to 99, default 50", 0, 99),
            "word_gap": OptionSpec(int, "word_gap: extra pause between words in 10 ms", 0, 100),
        }
    )
    clip_check = ClipCheck(default_rate=175, repeat_tolerance=0.0)
    """A new espeak-ng process per phrase: the same phrase gives the same samples."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, command: str = "espeak-ng") -> None:
        self.timeout = timeout
        self.command = command
        self._voices: list[VoiceInfo] | None = None
        self._version: str | None = None

    def sound_key(self, voice: Voice) -> list[Any]:
        """espeak-ng's version line and the voice settings."""
        if self._version is None:
            self._version = (
                self._run(["--version"], None, "reporting its version")
                .decode("utf-8", "replace")
                .split("Data at:")[0]
                .strip()
            )
        return ["espeak-ng", self._version, *voice_key(voice)]

    def close(self) -> None:
        """Nothing to release (one process per phrase)."""

    def check(self) -> None:
        """SpeechError with the install command if espeak-ng can't be found."""
        self._executable()

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        """Voices from `espeak-ng --voices` (id = the language tag to pass as voice name)."""
        if self._voices is None:
            out = self._run(["--voices"], None, "listing voices")
            self._voices = parse_voices(out.decode("utf-8", "replace"))
        return [v for v in self._voices if language_matches(v.languages, language)]

    def synthesize(self, text: str, voice: Voice) -> Clip:
        """One espeak-ng run; its WAV resampled to 44100 Hz and trimmed."""
        phrase = quote_phrase(text)
        if not text.strip():
            raise SpeechError(f"espeak-ng cannot speak an empty phrase {phrase}")
        args = ["-b", "1", "--stdout"]
        if voice.name:
            args += ["-v", voice.name]
        if voice.rate:
            args += ["-s", str(voice.rate)]
        options = voice.option_map()
        if "pitch" in options:
            args += ["-p", str(int(options["pitch"]))]
        if "word_gap" in options:
            args += ["-g", str(int(options["word_gap"]))]
        raw = self._run(args, text.encode("utf-8"), f"speaking {phrase}", voice)
        try:
            wav = parse_wav(raw, strict=False)
        except WavFormatError as exc:
            raise SpeechError(f"espeak-ng wrote unreadable audio for {phrase}: {exc}") from None
        clip = finish(wav.samples, wav.sample_rate)
        if len(clip) == 0:
            raise SpeechError(f"espeak-ng produced no audio for {phrase}")
        return clip

    def _executable(self) -> str:
        path = shutil.which(self.command)
        if path is None:
            raise SpeechError(ESPEAK_MISSING)
        return path

    def _run(self, args: list[str], stdin: bytes | None, doing: str, voice=None) -> bytes:
        try:
            done = subprocess.run(
                [self._executable(), *args],
                input=stdin or b"",
                capture_output=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            raise SpeechError(
                f"espeak-ng did not finish {doing} within {self.timeout:g} s; it was stopped"
            ) from None
        except OSError as exc:
            raise SpeechError(f"espeak-ng could not be run: {exc}") from exc
        err = done.stderr.decode("utf-8", "replace").strip()
        if voice is not None and "voice does not exist" in err:
            pool = self.voices(voice.name.split("-")[0]) or self.voices("en") or self.voices()
            known = ", ".join(sorted((v.id for v in pool), key=len)[:6])
            raise UnknownVoiceError(
                f'unknown espeak-ng voice "{voice.name}"; available: {known} ... '
                "(`voicecoach voices` lists all)"
            )
        if done.returncode != 0 or not done.stdout:
            detail = err.splitlines()[-1] if err else f"exit status {done.returncode}"
            raise SpeechError(f"espeak-ng failed {doing}: {detail}")
        return done.stdout


def parse_voices(listing: str) -> list[VoiceInfo]:
    """Rows of `espeak-ng --voices` as VoiceInfo."""
    voices = []
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5:
            continue
        language, name = fields[1].lower(), fields[3].replace("_", " ")
        others = tuple(m.lower() for m in _OTHER_LANGUAGE.findall(line))
        languages = (language, *(o for o in others if o != language))
        voices.append(VoiceInfo(language, name, languages, "espeak-ng"))
    return voices
