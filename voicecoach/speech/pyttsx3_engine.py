"""The default engine: pyttsx3 (espeak-ng on Linux), run in a worker process.

`Pyttsx3Engine` is what the registry hands out: it checks cheaply that pyttsx3 and
the speech library are there, then does all pyttsx3 work in an IsolatedEngine worker
(so a hanging engine is killed after a timeout). `Pyttsx3Backend` runs inside that
worker: each phrase is spoken by a fresh engine (`pyttsx3_fresh`), then the WAV is
checked, read at its real sample rate, resampled and trimmed.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import sys
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import Any

from voicecoach.errors import SpeechError, UnknownVoiceError
from voicecoach.script.model import Voice
from voicecoach.speech import pyttsx3_fresh
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
from voicecoach.speech.engine_process import DEFAULT_TIMEOUT, STARTUP_TIMEOUT, IsolatedEngine
from voicecoach.speech.espeak_engine import ESPEAK_MISSING
from voicecoach.wavio import WavData, WavFormatError, parse_wav

PYTTSX3_MISSING = "pyttsx3 is not installed: run `pip install pyttsx3`"
ATTEMPTS = 3
"""Tries per phrase (an utterance that fails its checks is spoken again)."""
DEFAULT_RATE = 200
"""Words per minute when the voice sets none (pyttsx3's own default, set explicitly)."""
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


def library_versions() -> list[str]:
    """pyttsx3's version and, on Linux, libespeak-ng's (both shape the sound)."""
    import importlib.metadata

    try:
        versions = [f"pyttsx3 {importlib.metadata.version('pyttsx3')}"]
    except importlib.metadata.PackageNotFoundError:
        raise SpeechError(PYTTSX3_MISSING) from None
    if sys.platform.startswith("linux"):
        for library in _ESPEAK_LIBRARIES:
            try:
                info = ctypes.CDLL(library).espeak_Info
            except (OSError, AttributeError):
                continue
            info.restype, info.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
            versions.append(f"{library} {(info(None) or b'').decode('ascii', 'replace')}")
            break
    return versions


class Pyttsx3Engine(IsolatedEngine):
    """pyttsx3 in a reusable worker process; each phrase has `timeout` seconds."""

    rates = (60, 400)
    voice_options: MappingProxyType[str, OptionSpec] = MappingProxyType({})
    clip_check = ClipCheck(default_rate=DEFAULT_RATE, repeat_tolerance=0.0)
    """Every phrase from a fresh espeak-ng: a repeat must give the very same length."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        startup_timeout: float = STARTUP_TIMEOUT,
        driver: str | None = None,
    ) -> None:
        super().__init__(
            f"{__name__}:Pyttsx3Backend",
            {"driver": driver},
            name="pyttsx3",
            timeout=timeout,
            startup_timeout=startup_timeout,
        )
        self._preflight_done = False
        self._versions: list[str] | None = None

    def check(self) -> None:
        """Raise SpeechError with the install command if pyttsx3 or espeak-ng is missing."""
        self._preflight()
        super().check()

    def sound_key(self, voice: Voice) -> list[Any]:
        """The library versions and the voice settings."""
        if self._versions is None:
            self._versions = library_versions()
        return ["pyttsx3", *self._versions, *voice_key(voice)]

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        self._preflight()
        return super().voices(language)

    def synthesize(self, text: str, voice: Voice) -> Clip:
        self._preflight()
        return super().synthesize(text, voice)

    def _preflight(self) -> None:
        """Check the installation once."""
        if not self._preflight_done:
            preflight()
            self._preflight_done = True


class Pyttsx3Backend:
    """pyttsx3 on the worker's side of Pyttsx3Engine.

    With espeak-ng (pyttsx3's driver on Linux) every utterance runs in a forked child
    with a fresh engine, its voice and rate confirmed (see `pyttsx3_fresh`), so a
    phrase's audio depends only on the phrase, voice and rate. Other drivers speak in
    this process, through a temporary file removed after each phrase.
    """

    name = "pyttsx3"

    def __init__(self, driver: str | None = None) -> None:
        preflight()
        try:
            import pyttsx3
        except ImportError as exc:
            raise SpeechError(PYTTSX3_MISSING) from exc
        self._driver = driver or _default_driver()
        self._fresh = self._driver == "espeak" and pyttsx3_fresh.fork_supported()
        self._tts: Any = None
        try:
            if self._fresh:
                importlib.import_module("pyttsx3.drivers.espeak")  # once, not in every child
                rows, self._default_voice = pyttsx3_fresh.list_voices(self._driver)
                self._voices = [
                    VoiceInfo(r["id"], r["name"], tuple(r["languages"]), "pyttsx3") for r in rows
                ]
            else:
                self._tts = pyttsx3.init(self._driver)
                self._default_voice = self._tts.getProperty("voice")
                self._voices = [_voice_info(v) for v in self._tts.getProperty("voices")]
        except SpeechError:
            raise
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            if "espeak" in detail.lower():
                raise SpeechError(f"{ESPEAK_MISSING} ({detail})") from exc
            raise SpeechError(f"pyttsx3 could not start: {detail}") from exc
        self._settings: tuple[str | None, int] | None = None

    def check(self) -> None:
        """Initialisation succeeded, so pyttsx3 can run."""

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        """pyttsx3's voices, optionally only those speaking LANGUAGE."""
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
        """One utterance (retried if no audio came), resampled and trimmed."""
        phrase = quote_phrase(text)
        if not text.strip():
            raise SpeechError(f"pyttsx3 cannot speak an empty phrase {phrase}")
        voice_id = self.resolve_voice(voice.name)
        rate = voice.rate or DEFAULT_RATE
        problem = ""
        for _ in range(ATTEMPTS):
            wav, problem = self._speak_once(text, voice_id, rate)
            if wav is not None:
                break
        else:
            raise SpeechError(f"pyttsx3 {problem} for {phrase} ({ATTEMPTS} attempts)")
        clip = finish(wav.samples, wav.sample_rate)
        if len(clip) == 0:
            raise SpeechError(f"pyttsx3 produced only silence for {phrase}")
        return clip

    def _speak_once(self, text: str, voice_id: str | None, rate: int) -> tuple[WavData | None, str]:
        """One utterance: the WAV read back, or None and what went wrong."""
        try:
            raw = (
                pyttsx3_fresh.speak(text, voice_id, rate, self._driver)
                if self._fresh
                else self._speak_in_process(text, voice_id, rate)
            )
        except SpeechError as exc:
            return None, exc.message.removeprefix("pyttsx3 ")
        try:
            wav = parse_wav(raw, strict=False)
        except WavFormatError as exc:
            return None, f"wrote an unreadable file ({exc})"
        if len(wav.samples) == 0:
            return None, "wrote an empty file"
        return wav, ""

    def _speak_in_process(self, text: str, voice_id: str | None, rate: int) -> bytes:
        """Drivers other than espeak-ng: this process's engine, via a temporary file."""
        if (voice_id, rate) != self._settings:
            if voice_id is not None:
                self._tts.setProperty("voice", voice_id)
            self._tts.setProperty("rate", rate)
            self._settings = (voice_id, rate)
        with tempfile.TemporaryDirectory(prefix="voicecoach-pyttsx3-") as scratch:
            wav = Path(scratch) / "phrase.wav"
            self._tts.save_to_file(text, str(wav))
            self._tts.runAndWait()
            try:
                return wav.read_bytes()
            except OSError:
                raise SpeechError("pyttsx3 wrote no audio file") from None


def _default_driver() -> str:
    """The driver pyttsx3.init() picks on this platform."""
    from pyttsx3 import engine

    chooser = getattr(engine, "default_engine_by_sys_platform", None)
    return chooser() if chooser is not None else "espeak"


def _voice_info(voice: Any) -> VoiceInfo:
    """A pyttsx3 Voice as VoiceInfo, with language tags as lower-case strings."""
    languages = []
    for lang in getattr(voice, "languages", None) or ():
        tag = lang.decode("utf-8", "ignore") if isinstance(lang, bytes) else str(lang)
        tag = tag.strip().lower().replace("_", "-")
        if tag:
            languages.append(tag)
    return VoiceInfo(str(voice.id), str(voice.name or voice.id), tuple(languages), "pyttsx3")
