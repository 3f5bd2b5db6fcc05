"""What each line of a programme sounds like: a recording if there is one, else the
voice (saying the programme's pronunciations) through the phrase cache.

`ProgrammeSpeech` has the phrase cache's interface (`clip`, `duration`, `ensure`,
`synthesized`...), so everything that takes a cache takes it: the texts asked for are
always the lines as the timeline and captions show them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from voicecoach.script.model import Programme, Voice
from voicecoach.speech.base import Clip
from voicecoach.speech.cache import PhraseCache, Progress, StoredClip
from voicecoach.speech.pronounce import Pronunciation
from voicecoach.speech.recordings import Recordings


def programme_pronunciation(programme: Programme) -> Pronunciation:
    """The programme's respellings, then its library exercises' (first one wins a word)."""
    pronunciation = Pronunciation(programme.pronounce)
    for exercise in programme.exercises:
        pronunciation = pronunciation.then(Pronunciation(exercise.pronounce))
    return pronunciation


class ProgrammeSpeech:
    """Recordings first, else CACHE speaking the line respelt by PRONUNCIATION."""

    def __init__(
        self,
        cache: PhraseCache,
        pronunciation: Pronunciation | None = None,
        recordings: Recordings | None = None,
    ) -> None:
        self.cache = cache
        self.pronunciation = pronunciation or Pronunciation()
        self.recordings = recordings

    def spoken(self, text: str) -> str:
        """What the engine is given for the line TEXT."""
        return self.pronunciation.apply(text)

    def recorded(self, text: str) -> Clip | None:
        """TEXT's recording as a clip, or None."""
        return self.recordings.clip(text) if self.recordings is not None else None

    def clip(self, text: str, voice: Voice) -> Clip:
        """The line's clip: its recording, else the voice saying it."""
        recorded = self.recorded(text)
        if recorded is not None:
            return recorded
        return self.cache.clip(self.spoken(text), voice)

    def clips(self, texts: Iterable[str], voice: Voice) -> Mapping[str, Clip | StoredClip]:
        """The clips of TEXTS by line, each fetched when looked up (bounded memory): a
        recording, else the cache's `stored_clip`."""
        return _LineClips(self, voice, tuple(dict.fromkeys(texts)))

    def stored_clip(self, text: str, voice: Voice) -> Clip | StoredClip:
        """The line's recording, else the voice's clip as `PhraseCache.stored_clip`."""
        recorded = self.recorded(text)
        if recorded is not None:
            return recorded
        return self.cache.stored_clip(self.spoken(text), voice)

    def duration(self, text: str, voice: Voice) -> float:
        """Seconds the line lasts (exactly `clip(text, voice).duration`)."""
        recorded = self.recorded(text)
        if recorded is not None:
            return recorded.duration
        return self.cache.duration(self.spoken(text), voice)

    def ensure(
        self,
        texts: Iterable[str],
        voice: Voice,
        progress: Progress | None = None,
        then: Callable[[Clip], None] | None = None,
    ) -> dict[str, float]:
        """Every line ready (recorded, or cached by the cache's engines at once); each
        distinct line's duration. `progress(done, total, text)` after each line,
        `then(clip)` with each clip spoken (`PhraseCache.ensure`)."""
        unique = list(dict.fromkeys(texts))
        recorded = {t: c.duration for t in unique if (c := self.recorded(t)) is not None}
        spoken = {t: self.spoken(t) for t in unique if t not in recorded}
        if progress is not None:
            for done, text in enumerate(recorded, start=1):
                progress(done, len(unique), text)

        def synthesised(done: int, total: int, text: str) -> None:
            if progress is not None:
                progress(len(recorded) + done, len(recorded) + total, text)

        durations = self.cache.ensure(list(spoken.values()), voice, synthesised, then)
        return {t: recorded[t] if t in recorded else durations[spoken[t]] for t in unique}

    def missing(self, texts: Iterable[str]) -> list[str]:
        """The distinct lines without a recording (all of them without a folder)."""
        if self.recordings is None:
            return list(dict.fromkeys(texts))
        return self.recordings.missing(texts)

    def __getattr__(self, name: str) -> Any:
        """Everything else (engine, synthesized, hits, directory...) is the cache's."""
        if name == "cache":  # not set yet (e.g. while unpickling)
            raise AttributeError(name)
        return getattr(self.cache, name)


class _LineClips(Mapping[str, Clip | StoredClip]):
    """The clips of a fixed set of lines, fetched from a ProgrammeSpeech on lookup."""

    def __init__(self, speech: ProgrammeSpeech, voice: Voice, texts: tuple[str, ...]) -> None:
        self._speech, self._voice, self._texts = speech, voice, texts
        self._known = frozenset(texts)

    def __getitem__(self, text: str) -> Clip | StoredClip:
        if text not in self._known:
            raise KeyError(text)
        return self._speech.stored_clip(text, self._voice)

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)
