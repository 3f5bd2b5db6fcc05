"""A content-addressed, on-disk cache of finished phrase clips.

Each entry is `<directory>/phrases/<key[:2]>/<key>.wav`: a 16-bit mono 44100 Hz WAV of
the final (trimmed) clip, with a "vcph" chunk holding the key, frame count, the sha256
of the PCM data and what the clip was spoken from (all before the samples, so a
clip's length and digest are read from the entry's first bytes). The key is the sha256 of the cache
format, `dsp.FINISHING`, the engine's name and sound key (its version, model, voice,
rate and options) and the text. A clip is checked before it is stored (`clip_check`:
its length against its rate, a second synthesis of short or suspect clips), and an
entry that fails any check is re-synthesised, never used. Entries are written to a
temporary file in the same directory and renamed into place, so readers (and other
processes writing the same key) only ever see whole files. A build asks each phrase's
length and digest of its entry's header (`PhraseCache.stored_clip`) and reads its
samples, checked against the digest, only when the mix needs them.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import struct
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from voicecoach.atomic import atomic_outputs, file_kind
from voicecoach.errors import AudioError, ClipNotCached, SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech.base import Clip, SpeechEngine, synthesize_checked
from voicecoach.speech.clip_check import confirmed_clip
from voicecoach.speech.dsp import FINISHING
from voicecoach.wavio import PCM, SAMPLE_RATE, WavFormatError, build_wav, parse_wav, pcm16

CACHE_FORMAT = "voicecoach.phrase/3"
"""Bump to invalidate every entry (part of every key). 2: engines' sound keys; 3: clips
checked before storing (`clip_check`), the voice in the record."""
CHUNK_ID = "vcph"
"""The WAV chunk holding an entry's integrity record."""
MEMORY_LIMIT = 16 * 2**20
"""Bytes of clips kept in memory (least recently used ones are dropped first)."""
MAX_CLIP_SECONDS = 600
"""No phrase lasts longer; an entry file above the size this implies is refused unread."""
MAX_ENTRY_BYTES = MAX_CLIP_SECONDS * SAMPLE_RATE * 2 + 2**20
"""16-bit samples plus room for the header and the integrity record."""
HEADER_BYTES = 2**16
"""An entry's bytes read for its header and integrity record (`read_entry_header`)."""

Progress = Callable[[int, int, str], None]

EngineFactory = Callable[[], SpeechEngine]
"""Makes another engine like the cache's own, for synthesising in parallel."""


_thread = threading.local()


def only_reading_clips() -> None:
    """Mark the calling thread as one that reads clips and never speaks (the mixer's
    worker threads: an engine is not safe to use from several threads at once). There,
    `PhraseCache.clip` of a phrase neither in memory nor on disk raises ClipNotCached
    instead of synthesising it (its caller does that work in its own thread)."""
    _thread.only_reading = True


def default_cache_dir() -> Path:
    """$VOICECOACH_CACHE_DIR, else $XDG_CACHE_HOME/voicecoach, else ~/.cache/voicecoach."""
    explicit = os.environ.get("VOICECOACH_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "voicecoach"


def phrase_key(engine_name: str, sound_key: list[Any], text: str) -> str:
    """The content address of a phrase: sha256 hex of everything that shapes its audio."""
    parts = [CACHE_FORMAT, FINISHING, engine_name, sound_key, text]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def entry_path(directory: Path, engine: SpeechEngine, voice: Voice, text: str) -> Path:
    """Where a cache in DIRECTORY keeps ENGINE's phrase TEXT (whether or not it exists)."""
    return _entry_path(directory, phrase_key(engine.name, engine.sound_key(voice), text))


def _entry_path(directory: Path, key: str) -> Path:
    return directory / "phrases" / key[:2] / f"{key}.wav"


class PhraseCache:
    """Clips of phrases by content, synthesised once with `engine`, kept in `directory`."""

    def __init__(
        self,
        engine: SpeechEngine,
        directory: Path | str | None = None,
        *,
        memory_limit: int = MEMORY_LIMIT,
        engine_factory: EngineFactory | None = None,
        workers: int = 1,
    ) -> None:
        """WORKERS > 1 with an ENGINE_FACTORY lets `ensure` speak that many phrases at
        once, each worker with its own engine (its own process for isolated engines)."""
        self.engine = engine
        self.engine_factory = engine_factory
        self.workers = max(1, workers)
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.memory_limit = memory_limit
        self.synthesized = 0
        """Phrases the engine had to speak."""
        self.hits = 0
        """Lookups answered from memory or disk without the engine."""
        self.corrupt = 0
        """Disk entries that failed their integrity check (and were re-synthesised)."""
        self._clips: OrderedDict[str, Clip] = OrderedDict()
        self._clip_bytes = 0
        self._frames: dict[str, int] = {}
        self._contents: dict[str, str] = {}
        self._sound_keys: dict[Voice, list[Any]] = {}
        self._keys: dict[tuple[str, Voice], str] = {}
        self._warned = False
        self._lock = threading.RLock()

    def key(self, text: str, voice: Voice) -> str:
        """The phrase's cache key (the engine's sound key is asked once per voice, each
        key worked out once: a build looks every clip up several times)."""
        key = self._keys.get((text, voice))
        if key is None:
            sound = self._sound_keys.get(voice)
            if sound is None:
                sound = self._sound_keys[voice] = self.engine.sound_key(voice)
            key = self._keys[text, voice] = phrase_key(self.engine.name, sound, text)
        return key

    def path(self, text: str, voice: Voice) -> Path:
        """Where the entry for this phrase lives (whether or not it exists)."""
        return _entry_path(self.directory, self.key(text, voice))

    def clip(self, text: str, voice: Voice) -> Clip:
        """The phrase's clip: from memory, else from disk, else synthesised and stored.
        Safe to call from several threads (the mixer's level workers read clips); in a
        thread that only reads clips (`only_reading_clips`) a clip that would have to be
        synthesised raises ClipNotCached."""
        key = self.key(text, voice)
        with self._lock:  # another thread may drop it from memory meanwhile
            clip = self._clips.get(key)
            if clip is not None:
                self._clips.move_to_end(key)
                self.hits += 1
                return clip
        path = self.path(text, voice)
        clip = self._load(path, key)
        if clip is not None:
            with self._lock:
                self.hits += 1
        elif getattr(_thread, "only_reading", False):
            raise ClipNotCached(
                f"the clip of {text!r} is neither in memory nor in the phrase cache ({path})"
            )
        else:
            clip = self._synthesize(text, voice)
        with self._lock:
            self._remember(key, clip)
        return clip

    def clips(self, texts: Iterable[str], voice: Voice) -> Mapping[str, Clip | StoredClip]:
        """The clips of TEXTS by text, each a `stored_clip` when it is looked up (so a
        long session's clips are never all in memory at once)."""
        return _CachedClips(self, voice, tuple(dict.fromkeys(texts)))

    def stored_clip(self, text: str, voice: Voice) -> Clip | StoredClip:
        """The phrase's clip as its length and digest, known from memory or its entry's
        header, its samples read (and checked) when asked for; the clip itself
        (`clip`) when the entry's header is not whole."""
        key = self.key(text, voice)
        with self._lock:
            known = key in self._contents
        if known or self._read_header(self.path(text, voice), key):
            with self._lock:
                return StoredClip(self, text, voice, self._frames[key], self._contents[key])
        return self.clip(text, voice)

    def duration(self, text: str, voice: Voice) -> float:
        """Seconds the phrase lasts: exactly `clip(text, voice).duration`."""
        key = self.key(text, voice)
        frames = self._frames.get(key)
        if frames is not None:
            self.hits += 1
            return frames / SAMPLE_RATE
        return self.clip(text, voice).duration

    def ensure(
        self,
        texts: Iterable[str],
        voice: Voice,
        progress: Progress | None = None,
        then: Callable[[Clip], None] | None = None,
    ) -> dict[str, float]:
        """Make sure every phrase is cached; returns each distinct text's duration.

        Phrases not on disk are spoken by up to `workers` engines at once.
        `progress(done, total, text)` is called after each distinct phrase;
        `then(clip)` with each clip that had to be spoken, once it is stored, in the
        thread that spoke it (work on the new clip shares the speakers' cores).
        """
        unique = list(dict.fromkeys(texts))
        durations: dict[str, float] = {}
        done = 0

        def finish(text: str, seconds: float) -> None:
            nonlocal done
            with self._lock:
                durations[text] = seconds
                done += 1
                if progress is not None:
                    progress(done, len(unique), text)

        missing = []
        for text in unique:
            if self._known(text, voice):
                finish(text, self.duration(text, voice))
            else:
                missing.append(text)
        if self.workers > 1 and self.engine_factory is not None and len(missing) > 1:
            self._speak_in_parallel(missing, voice, finish, then)
        else:
            for text in missing:
                clip = self.clip(text, voice)
                if then is not None:
                    then(clip)
                finish(text, clip.duration)
        return {text: durations[text] for text in unique}

    def _known(self, text: str, voice: Voice) -> bool:
        """Whether the phrase is answered without the engine: in memory, or an entry
        whose header is whole (its samples are checked when they are read), or else a
        good entry."""
        key = self.key(text, voice)
        if key in self._frames:
            return True
        path = self.path(text, voice)
        if self._read_header(path, key):
            return True
        clip = self._load(path, key)
        if clip is None:
            return False
        with self._lock:
            self._remember(key, clip)
        return True

    def _read_header(self, path: Path, key: str) -> bool:
        """Learn the length and digest of the entry at PATH from its header; False when
        there is no entry or its header is not whole (`decode_header`)."""
        try:
            head, size = read_entry_header(path)
        except OSError:
            return False
        found = decode_header(head, size, key)
        if found is None:
            return False
        with self._lock:
            self._frames[key], self._contents[key] = found
        return True

    def _speak_in_parallel(
        self,
        texts: list[str],
        voice: Voice,
        finish: Callable[[str, float], None],
        then: Callable[[Clip], None] | None,
    ) -> None:
        """Synthesise TEXTS with the cache's engine and `workers - 1` more, each taking
        the longest phrase left (so no engine is left with a long one at the end), and
        call THEN with each new clip in its speaker's thread; the first error stops the
        rest and is raised."""
        assert self.engine_factory is not None
        count = min(self.workers, len(texts))
        engines = [self.engine]
        pending = iter(sorted(texts, key=len, reverse=True))
        failed: list[BaseException] = []
        try:
            engines += [self.engine_factory() for _ in range(count - 1)]

            def work(engine: SpeechEngine) -> None:
                while not failed:
                    with self._lock:
                        text = next(pending, None)
                    if text is None:
                        return
                    try:
                        clip = self._synthesize(text, voice, engine)
                        with self._lock:
                            self._remember(self.key(text, voice), clip)
                        if then is not None:
                            then(clip)
                    except BaseException as exc:
                        failed.append(exc)
                        return
                    finish(text, clip.duration)

            with ThreadPoolExecutor(count, thread_name_prefix="voicecoach-speak") as pool:
                list(pool.map(work, engines))
        finally:
            for extra in engines[1:]:
                close = getattr(extra, "close", None)
                if close is not None:
                    close()
        if failed:
            raise failed[0]

    def _synthesize(self, text: str, voice: Voice, engine: SpeechEngine | None = None) -> Clip:
        """Speak the phrase (with ENGINE, default the cache's), store it, and return the
        clip exactly as stored."""
        key, path = self.key(text, voice), self.path(text, voice)
        speaker = engine or self.engine
        clip, agreeing = confirmed_clip(
            text,
            voice,
            lambda: synthesize_checked(speaker, text, voice),
            self.engine.clip_check,
            self.engine.name,
        )
        with self._lock:
            self.synthesized += 1
        data = pcm16(clip.samples)
        record = {
            "format": CACHE_FORMAT,
            "key": key,
            "frames": len(clip),
            "sha256": hashlib.sha256(data).hexdigest(),
            "engine": self.engine.name,
            "sound": self._sound_keys[voice],
            "voice": {
                "engine": voice.engine,
                "name": voice.name,
                "rate": voice.rate,
                "options": [list(item) for item in voice.options],
            },
            "text": text,
            "agreeing": agreeing,
        }
        raw = build_wav(data, SAMPLE_RATE, {CHUNK_ID: json.dumps(record).encode("utf-8")})
        self._write(path, raw)
        stored = decode_entry(raw, key)
        if stored is None:  # can't happen unless the WAV code is broken
            raise SpeechError(f"internal error: the cache entry for {text!r} doesn't verify")
        return stored

    def _load(self, path: Path, key: str) -> Clip | None:
        """A verified entry from disk, or None (missing, corrupt or not a plain file)."""
        try:
            raw = read_entry(path)
        except FileNotFoundError:
            return None
        except OSError:  # a FIFO, device, link, folder or oversized file: replaced
            self.corrupt += 1
            return None
        clip = decode_entry(raw, key)
        if clip is None:
            self.corrupt += 1
        return clip

    def _write(self, path: Path, raw: bytes) -> None:
        """Atomically put RAW at PATH (no fsync: a damaged entry is re-made anyway);
        a cache that can't be written only warns."""
        try:
            with atomic_outputs([path], durable=False, replace_special=True) as temps:
                temps[path].write_bytes(raw)
        except AudioError as exc:
            if not self._warned:
                self._warned = True
                warnings.warn(
                    f"cannot write the phrase cache in {self.directory}: {exc}", stacklevel=3
                )

    def _remember(self, key: str, clip: Clip) -> None:
        """Keep the clip in memory (within the budget) and its length for good."""
        self._frames[key] = len(clip)
        self._contents[key] = clip.content
        self._clips[key] = clip
        self._clip_bytes += clip.samples.nbytes
        while self._clip_bytes > self.memory_limit and len(self._clips) > 1:
            _, old = self._clips.popitem(last=False)
            self._clip_bytes -= old.samples.nbytes


class StoredClip:
    """A cached phrase's clip known by its length and digest; its samples are read from
    the cache (memory, else its entry, checked against the digest) when asked for."""

    sample_rate = SAMPLE_RATE

    def __init__(
        self, cache: PhraseCache, text: str, voice: Voice, frames: int, content: str
    ) -> None:
        """The clip of TEXT in CACHE, of FRAMES samples named CONTENT (`Clip.content`)."""
        self._cache, self._text, self._voice = cache, text, voice
        self.frames = frames
        """Its length in samples."""
        self.content = content
        """The name of exactly its samples (the digest its entry records)."""

    @property
    def samples(self) -> Any:
        """Its samples (float32, read-only). An entry whose samples do not match its
        header is spoken again (`PhraseCache.clip`); SpeechError if that gives another
        clip (of another length or digest) than the one the build was laid out with."""
        clip = self._cache.clip(self._text, self._voice)
        if len(clip) != self.frames or clip.content != self.content:
            raise SpeechError(
                f"the phrase cache entry for {self._text!r} was damaged and spoken again "
                "differently during this build; build again"
            )
        return clip.samples

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    def __len__(self) -> int:
        return self.frames


class _CachedClips(Mapping[str, Clip | StoredClip]):
    """Clips of a fixed set of phrases, fetched from a PhraseCache on lookup."""

    def __init__(self, cache: PhraseCache, voice: Voice, texts: tuple[str, ...]) -> None:
        self._cache, self._voice, self._texts = cache, voice, texts
        self._known = frozenset(texts)

    def __getitem__(self, text: str) -> Clip | StoredClip:
        if text not in self._known:
            raise KeyError(text)
        return self._cache.stored_clip(text, self._voice)

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


def read_entry(path: Path, limit: int = MAX_ENTRY_BYTES) -> bytes:
    """The bytes of the regular file at PATH, refusing anything that could hang or flood
    a read: OSError for a FIFO, device, socket, folder, symbolic link or a file over
    LIMIT bytes (FileNotFoundError if there is nothing)."""
    raw, _ = _read_plain(path, limit, limit + 1)
    if len(raw) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return raw


def read_entry_header(path: Path, limit: int = MAX_ENTRY_BYTES) -> tuple[bytes, int]:
    """The first `HEADER_BYTES` of the entry at PATH and its size, refused as
    `read_entry` refuses (OSError)."""
    return _read_plain(path, limit, HEADER_BYTES)


def _read_plain(path: Path, limit: int, count: int) -> tuple[bytes, int]:
    """Up to COUNT first bytes of the regular file at PATH, and its size (`read_entry`
    says what is refused)."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, f"it is {file_kind(info.st_mode)}, not a file", str(path))
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)  # the file opened, whatever replaced the name since lstat
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, f"it is {file_kind(info.st_mode)}, not a file", str(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        chunks = []
        left = count
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), info.st_size


def decode_header(head: bytes, size: int, key: str) -> tuple[int, str] | None:
    """The frame count and content name (`Clip.content`) recorded by the cache entry
    whose first bytes are HEAD and whose size is SIZE, if its header is whole: a mono
    16-bit WAV at `SAMPLE_RATE` of this format, its record for KEY, and its samples, of
    the recorded count, filling the file to its end (they are not read here:
    `decode_entry` checks them against the digest). None otherwise."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    if struct.unpack_from("<I", head, 4)[0] + 8 != size:
        return None
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while True:
        if pos + 8 > len(head):
            return None
        cid, length = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if cid == b"data":
            break
        chunks[cid] = head[pos + 8 : pos + 8 + length]
        if len(chunks[cid]) < length:
            return None
        pos += 8 + length + (length & 1)
    fmt = chunks.get(b"fmt ", b"")
    if len(fmt) < 16 or struct.unpack_from("<HHIIHH", fmt)[:2] != (PCM, 1):
        return None
    if struct.unpack_from("<HHIIHH", fmt)[2:] != (SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16):
        return None
    try:
        record = json.loads(chunks[CHUNK_ID.encode("ascii")].decode("utf-8"))
    except (KeyError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != CACHE_FORMAT:
        return None
    frames, digest = record.get("frames"), record.get("sha256")
    if record.get("key") != key or type(frames) is not int or frames <= 0:
        return None
    if not isinstance(digest, str) or len(digest) != 64:
        return None
    if length != 2 * frames or pos + 8 + length + (length & 1) != size:
        return None
    return frames, f"pcm16:{digest}"


def decode_entry(raw: bytes, key: str) -> Clip | None:
    """The clip in a cache entry if every check passes, else None."""
    try:
        wav = parse_wav(raw)
        record = json.loads(wav.chunks[CHUNK_ID].decode("utf-8"))
    except (WavFormatError, KeyError, ValueError):
        return None
    ok = (
        isinstance(record, dict)
        and record.get("format") == CACHE_FORMAT
        and record.get("key") == key
        and wav.sample_rate == SAMPLE_RATE
        and wav.samples.ndim == 1
        and record.get("frames") == len(wav.samples) > 0
        and record.get("sha256") == (digest := hashlib.sha256(wav.data).hexdigest())
    )
    return Clip(wav.samples, SAMPLE_RATE, content=f"pcm16:{digest}") if ok else None
