"""The default engine: pyttsx3 (espeak-ng on Linux), run in a worker process.

`Pyttsx3Engine` is what the registry hands out: it checks cheaply that pyttsx3 and
the speech library are there, then does all pyttsx3 work in an IsolatedEngine worker
(so a hanging `runAndWait` is killed after a timeout). `Pyttsx3Backend` is the
in-process part that runs inside that worker: one `save_to_file` + `runAndWait` per
phrase, then the WAV is checked, read at its real sample rate, resampled and trimmed.
"""

from __future__ import annotations

import ctypes
import importlib.util
import shutil
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

from voicecoach.errors import SpeechError, UnknownVoiceError
from voicecoach.script.model import Voice
from voicecoach.speech.base import Clip, VoiceInfo, language_matches, quote_phrase
from voicecoach.speech.dsp import finish
from voicecoach.speech.engine_process import DEFAULT_TIMEOUT, STARTUP_TIMEOUT, IsolatedEngine
from voicecoach.wavio import WavData, WavFormatError, parse_wav

PYTTSX3_MISSING = "pyttsx3 is not installed: run `pip install pyttsx3`"
ESPEAK_MISSING = "espeak-ng is not installed: run `sudo apt-get install espeak-ng`"
ATTEMPTS = 3
"""Tries per phrase: pyttsx3's espeak driver now and then writes an empty file."""
SETTLE_S = 0.02
"""Pause after changing voice or rate: espeak-ng applies settings asynchronously, and
speaking straight after a change gives an empty file in a few percent of phrases."""
_ESPEAK_LIBRARIES = ("libespeak-ng.so.1", "/usr/local/lib/libespeak-ng.so.1", "libespeak.so.1")


def preflight() -> None:
    """Cheap checks, without starting pyttsx3: the package and (on Linux) libespeak."""
    if importlib.util.find_spec("pyttsx3") is None:
        raise SpeechError(PYTTSX3_MISSING)
    if sys.platform.startswith("linux"):
        for library in _ESPEAK_LIBRARIES:
            try:
                ctypes.CDLL(library)
                return
            except OSError:
                continue
        raise SpeechError(ESPEAK_MISSING)


class Pyttsx3Engine(IsolatedEngine):
    """pyttsx3 in a reusable worker process; each phrase has `timeout` seconds."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        startup_timeout: float = STARTUP_TIMEOUT,
        driver: str | None = None,
    ) -> None:
        super().__init__(
            f"{__name__}:Pyttsx3Backend",
            {"workdir": None, "driver": driver},
            name="pyttsx3",
            timeout=timeout,
            startup_timeout=startup_timeout,
        )
        self._preflight_done = False
        self._cleanup: weakref.finalize | None = None

    def check(self) -> None:
        """Raise SpeechError with the install command if pyttsx3 or espeak-ng is missing."""
        self._preflight()
        super().check()

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        self._preflight()
        return super().voices(language)

    def synthesize(self, text: str, voice: Voice) -> Clip:
        self._preflight()
        return super().synthesize(text, voice)

    def close(self) -> None:
        """Stop the worker and remove its scratch directory."""
        super().close()
        if self._cleanup is not None:
            self._cleanup()

    def _preflight(self) -> None:
        """Check installation once; give the next worker a fresh scratch directory."""
        if not self._preflight_done:
            preflight()
            self._preflight_done = True
        if self._cleanup is None or not self._cleanup.alive:
            workdir = tempfile.mkdtemp(prefix="voicecoach-pyttsx3-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, workdir, True)
            self.options["workdir"] = workdir


class Pyttsx3Backend:
    """pyttsx3 used directly, in this process (the worker's side of Pyttsx3Engine)."""

    name = "pyttsx3"

    def __init__(self, workdir: str | None = None, driver: str | None = None) -> None:
        preflight()
        try:
            import pyttsx3
        except ImportError as exc:
            raise SpeechError(PYTTSX3_MISSING) from exc
        try:
            self._tts: Any = pyttsx3.init(driver)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            if "espeak" in detail.lower():
                raise SpeechError(f"{ESPEAK_MISSING} ({detail})") from exc
            raise SpeechError(f"pyttsx3 could not start: {detail}") from exc
        self._default_voice = self._tts.getProperty("voice")
        self._default_rate = self._tts.getProperty("rate")
        self._voices = [_voice_info(v) for v in self._tts.getProperty("voices")]
        self._settings: tuple[str | None, int] | None = None
        self._wav = Path(workdir or tempfile.mkdtemp(prefix="voicecoach-pyttsx3-")) / "phrase.wav"

    def check(self) -> None:
        """Initialisation succeeded, so pyttsx3 can run."""

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        """pyttsx3's voices, optionally only those speaking `language`."""
        return [v for v in self._voices if language_matches(v.languages, language)]

    def resolve_voice(self, name: str | None) -> str | None:
        """The pyttsx3 voice id for a voice id, short id, name or language tag."""
        if name is None:
            return self._default_voice
        key = name.strip().lower().replace("_", "-")
        rules = (
            lambda v: v.id.lower() == key,
            lambda v: v.id.lower().rsplit("/", 1)[-1] == key,
            lambda v: v.name.lower() == key,
            lambda v: key in v.languages,
        )
        for rule in rules:
            for v in self._voices:
                if rule(v):
                    return v.id
        raise UnknownVoiceError(f'unknown pyttsx3 voice "{name}"; available: {self._suggest(key)}')

    def _suggest(self, key: str) -> str:
        """A few voice ids, preferring those of the same language family."""
        family = key.split("-")[0]
        close = [v for v in self._voices if language_matches(v.languages, family)]
        pool = close or [v for v in self._voices if language_matches(v.languages, "en")]
        tags = sorted({v.languages[0] if v.languages else v.id for v in pool or self._voices})
        shown = sorted(tags, key=len)[:6]
        more = " ... (`voicecoach voices` lists all)" if len(self._voices) > len(shown) else ""
        return ", ".join(shown) + more

    def synthesize(self, text: str, voice: Voice) -> Clip:
        """One save_to_file + runAndWait (retried if the file is empty), resampled, trimmed."""
        phrase = quote_phrase(text)
        if not text.strip():
            raise SpeechError(f"pyttsx3 cannot speak an empty phrase {phrase}")
        self._apply(self.resolve_voice(voice.name), voice.rate or self._default_rate)
        problem = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(SETTLE_S)
            wav, problem = self._speak_once(text)
            if wav is not None:
                break
        else:
            raise SpeechError(f"pyttsx3 {problem} for {phrase} ({ATTEMPTS} attempts)")
        clip = finish(wav.samples, wav.sample_rate)
        if len(clip) == 0:
            raise SpeechError(f"pyttsx3 produced only silence for {phrase}")
        return clip

    def _speak_once(self, text: str) -> tuple[WavData | None, str]:
        """One save_to_file + runAndWait: the WAV read back, or None and what went wrong."""
        self._wav.parent.mkdir(parents=True, exist_ok=True)
        self._wav.unlink(missing_ok=True)
        self._tts.save_to_file(text, str(self._wav))
        self._tts.runAndWait()
        try:
            wav = parse_wav(self._wav.read_bytes(), strict=False)
        except OSError:
            return None, "wrote no audio file"
        except WavFormatError as exc:
            return None, f"wrote an unreadable file ({exc})"
        if len(wav.samples) == 0:
            return None, "wrote an empty file"
        return wav, ""

    def _apply(self, voice_id: str | None, rate: int) -> None:
        """Set voice and rate, only when they change (see SETTLE_S)."""
        if (voice_id, rate) == self._settings:
            return
        if voice_id is not None:
            self._tts.setProperty("voice", voice_id)
        self._tts.setProperty("rate", rate)
        self._settings = (voice_id, rate)
        time.sleep(SETTLE_S)


def _voice_info(voice: Any) -> VoiceInfo:
    """A pyttsx3 Voice as VoiceInfo, with language tags as lower-case strings."""
    languages = []
    for lang in getattr(voice, "languages", None) or ():
        tag = lang.decode("utf-8", "ignore") if isinstance(lang, bytes) else str(lang)
        tag = tag.strip().lower().replace("_", "-")
        if tag:
            languages.append(tag)
    return VoiceInfo(str(voice.id), str(voice.name or voice.id), tuple(languages), "pyttsx3")
