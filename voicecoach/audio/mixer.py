"""Render a timeline into float32 PCM, block by block, at sample-exact offsets.

Every event starts at sample ``round(event.start * sample_rate)``. Each distinct clip
is prepared (loudness-normalised, peaks limited) when the mix first reaches it and kept
while there is room, so memory is bounded by a budget plus one block, whatever the
track's length. Clip levels come from a `LevelStore` and the track is calibrated from
them and the music bed's level, so a build renders the track once: the pass that is
encoded. A sound that plays alone (nothing else within the limiter's reach, no music)
is true-peak limited once, as a clip, and that clip is stored with its level; sounds
that meet (and nothing else near them) are mixed and limited once per group, stored
the same way, so a warm build without music only adds stored clips. Blocks with music
under them, or a sound past the track's end, are limited as they are mixed. All give
the samples limiting the whole mix would.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from voicecoach.audio.clip_levels import (
    ClipLevel,
    LevelRequest,
    LevelStore,
    bin_samples,
    content_name,
    gated_powers,
    prepare,
)
from voicecoach.audio.loudness import (
    LoudnessMeter,
    db_to_gain,
    gated_loudness,
    limit_peaks,
    limiter_half_width,
    limiter_threshold,
    true_peak_context,
)
from voicecoach.audio.music import MusicBed
from voicecoach.errors import AudioError, ClipNotCached
from voicecoach.speech.cache import only_reading_clips
from voicecoach.timeline.model import Event, Timeline
from voicecoach.wavio import SAMPLE_RATE, mono_float32

DEFAULT_BLOCK_SAMPLES = 16384
"""Samples per rendered block (~0.37 s at 44.1 kHz)."""

LENGTH_TOLERANCE = 0.010
"""Seconds a clip may differ from its event's duration (rounding); more is an error."""

PREPARED_BUDGET = 24 * 2**20
"""Bytes of prepared clips a mixer keeps (least recently used ones are dropped)."""

_MAX_GROUP_SECONDS = 30.0
"""Longest stretch of sounds that meet limited once as a group (a longer one, e.g. a
fast tempo counted without a gap, is limited block by block: memory stays bounded)."""

_MAX_CALIBRATION = 12.0
_CALIBRATION_STEP = 0.05
_CALIBRATION_STEPS = 4


def _limiter_reach(sample_rate: int) -> int:
    """Samples each way a mixed sample's limited value depends on."""
    return 2 * limiter_half_width(sample_rate) + true_peak_context()


class ClipLike(Protocol):
    """Anything with mono ``samples`` and a ``sample_rate`` (e.g. speech.base.Clip)."""

    samples: Any
    sample_rate: int


@dataclass(frozen=True)
class MixLevels:
    """Target levels of the mix."""

    track_lufs: float = -16.0
    """Integrated loudness of the whole track (LUFS); speech clips start at this level."""
    tone_offset_db: float = -8.0
    """Loudness of each tone relative to speech (measured over its own length), dB."""
    clip_peak_dbfs: float = -2.0
    """Ceiling of each prepared clip's peaks (look-ahead limited), dBFS."""
    mix_peak_dbfs: float = -1.5
    """True-peak ceiling of the mix (look-ahead limited, peaks between samples
    included), dBTP; `write_track` sets it below ``true_peak_dbtp`` by the format's
    headroom for the codec's overshoot."""
    true_peak_dbtp: float = -1.0
    """Ceiling of the true peak of the track as decoded from the written file, dBTP."""


_Key = tuple[str, str]


class Mixer:
    """A timeline bound to its clips; renders any stretch of the track on demand."""

    def __init__(
        self,
        timeline: Timeline,
        speech: Mapping[str, ClipLike],
        tones: Mapping[str, ClipLike],
        *,
        levels: MixLevels | None = None,
        store: LevelStore | None = None,
        music: MusicBed | None = None,
    ) -> None:
        """Check that every event has a usable clip (AudioError if not) and find every
        clip's level (in STORE, else measured now). SPEECH may load clips lazily: a clip
        with ``frames`` and ``content`` (the phrase cache's `StoredClip`) is read only
        when its samples are needed (a level or a clip not stored), any other once here
        and again when the mix reaches it. MUSIC is the bed under the whole track, if
        any."""
        self.timeline = timeline
        self.levels = levels or MixLevels()
        self.music = music
        self.gain_db = 0.0
        """Calibration added to every clip's loudness target (see ``calibrate``)."""
        self.aim_offset_db = 0.0
        """LU the calibration aims above ``levels.track_lufs`` (see ``retune``)."""
        self.sample_rate = SAMPLE_RATE
        self.total_samples = round(timeline.duration * self.sample_rate)
        self._speech, self._tones = speech, tones
        self._clip_levels: dict[_Key, ClipLevel] = {}
        self._lengths: dict[_Key, int] = {}
        self._contents: dict[_Key, str] = {}
        self._ready: OrderedDict[tuple, np.ndarray] = OrderedDict()
        """Clips ready to mix ("prepared" or "limited"), least recently used first."""
        self._ready_bytes = 0
        self._shifted_levels: dict[_Key, ClipLevel] = {}
        self._store = store = store or LevelStore(None)
        ceiling = db_to_gain(self.levels.clip_peak_dbfs)
        placed: list[tuple[int, int, _Key]] = []

        def new_clips() -> Iterator[LevelRequest[_Key]]:
            for event in timeline.events:
                key, clip = self._clip_for(event, speech, tones)
                start = round(event.start * self.sample_rate)
                length = self._check_length(event, clip)
                placed.append((start, start + length, key))
                if key not in self._lengths:
                    self._lengths[key] = length
                    content, load = _named(clip)
                    self._contents[key] = content
                    target = self._reference_target(key)
                    yield LevelRequest(key, content, length, target, load)

        for key, level in store.levels(new_clips(), ceiling, self.sample_rate):
            self._clip_levels[key] = level
        placed.sort(key=lambda item: item[0])
        self._starts = np.array([p[0] for p in placed], dtype=np.int64)
        self._ends = np.array([p[1] for p in placed], dtype=np.int64)
        self._keys = [p[2] for p in placed]
        self._alone = self._isolated()
        self._groups, self._group_of = self._sound_groups()
        self._group_sounds = [
            tuple((int(self._starts[j]) - start, self._keys[j]) for j in members)
            for start, _, members in self._groups
        ]
        """Each group's sounds (offset, clip): groups alike (a count over a tone, set
        after set) are mixed alike, and kept once."""
        self._last_end: dict[object, int] = {}
        """Where the last sound of each clip, and of each kind of group, ends: what is
        kept of it is dropped there."""
        for key, end in zip(self._keys, self._ends.tolist(), strict=True):
            self._last_end[key] = max(end, self._last_end.get(key, 0))
        for (_, end, _), sounds in zip(self._groups, self._group_sounds, strict=True):
            self._last_end[sounds] = max(end, self._last_end.get(sounds, 0))

    def _isolated(self) -> np.ndarray:
        """For each placed sound, whether it plays alone: no other sound (nor the end of
        the track) within twice the mix limiter's reach, so limiting the mix there is
        limiting the clip on its own (which `blocks` does once per clip)."""
        count = len(self._keys)
        if count == 0:
            return np.zeros(0, dtype=bool)
        gap = 2 * _limiter_reach(self.sample_rate)
        clear = np.ones(count, dtype=bool)
        # after every earlier sound has ended (sounds are sorted by start) ...
        clear[1:] = self._starts[1:] - np.maximum.accumulate(self._ends)[:-1] > gap
        # ... and before the next one starts
        clear[:-1] &= self._starts[1:] - self._ends[:-1] > gap
        return clear & (self._ends <= self.total_samples)

    def _sound_groups(self) -> tuple[list[tuple[int, int, tuple[int, ...]]], np.ndarray]:
        """Sounds that meet (within twice the limiter's reach of each other, as
        `_isolated` counts), in groups of two or more that end inside the track and last
        at most `_MAX_GROUP_SECONDS`: (start, end, the sounds in start order) each, and
        each sound's group (-1: none). With nothing else near it, a group limited on its
        own is the mix limited there, so `blocks` limits each group once, as a clip."""
        count = len(self._keys)
        group_of = np.full(count, -1, dtype=np.int64)
        if count < 2:
            return [], group_of
        gap = 2 * _limiter_reach(self.sample_rate)
        apart = self._starts[1:] - np.maximum.accumulate(self._ends)[:-1] > gap
        firsts = np.flatnonzero(np.concatenate(([True], apart)))
        stops = np.append(firsts[1:], count)
        groups: list[tuple[int, int, tuple[int, ...]]] = []
        for first, stop in zip(firsts.tolist(), stops.tolist(), strict=True):
            start, end = int(self._starts[first]), int(self._ends[first:stop].max())
            short = end - start <= _MAX_GROUP_SECONDS * self.sample_rate
            if stop - first > 1 and end <= self.total_samples and short:
                group_of[first:stop] = len(groups)
                groups.append((start, end, tuple(range(first, stop))))
        return groups, group_of

    def _clip_for(
        self, event: Event, speech: Mapping[str, ClipLike], tones: Mapping[str, ClipLike]
    ) -> tuple[_Key, ClipLike]:
        """The clip an event plays, checked for presence and sample rate."""
        if event.kind == "speech":
            key: _Key = ("speech", event.text or "")
            clip = speech.get(event.text or "")
            missing = f"no speech clip for {event.text!r} (at {event.start:.3f} s)"
        else:
            key = ("tone", event.tone or "")
            clip = tones.get(event.tone or "")
            missing = f"no tone {event.tone!r} (at {event.start:.3f} s)"
        if clip is None:
            raise AudioError(missing)
        if clip.sample_rate != self.sample_rate:
            raise AudioError(
                f"clip for {key[1]!r} is at {clip.sample_rate} Hz; "
                f"the timeline is rendered at {self.sample_rate} Hz"
            )
        return key, clip

    def _reference_target(self, key: _Key) -> float:
        """The loudness a clip is measured at, before calibration (LUFS)."""
        offset = self.levels.tone_offset_db if key[0] == "tone" else 0.0
        return self.levels.track_lufs + offset

    def _check_length(self, event: Event, clip: ClipLike) -> int:
        """The clip's length in samples, if it fits the event's duration."""
        length = getattr(clip, "frames", None)
        if length is None:
            length = len(clip.samples)
        window = round(event.end * self.sample_rate) - round(event.start * self.sample_rate)
        if abs(length - window) > LENGTH_TOLERANCE * self.sample_rate:
            what = event.text if event.kind == "speech" else event.tone
            raise AudioError(
                f"clip for {what!r} lasts {length / self.sample_rate:.3f} s but the timeline "
                f"gives it {window / self.sample_rate:.3f} s (at {event.start:.3f} s)"
            )
        return length

    def prepared(self, key: _Key) -> np.ndarray:
        """The clip for KEY ready to mix: mono float32, at its level, peaks limited."""
        found = self._ready_clip(("prepared", key))
        if found is None:
            found = self._prepare(key)
            self._keep(("prepared", key), found)
        return found

    def _prepare(self, key: _Key, *, store: bool = True) -> np.ndarray:
        """The clip for KEY at its level with its peaks limited (not kept here): from
        the store, else made (and stored, when STORE)."""
        found = self._find_prepared(key)
        if found is None:
            found = self._make_prepared(key)
            if store:
                self._store.keep_clip(self._level(key), self._prepared_name(), found)
        return found

    def _prepared_name(self) -> str:
        """The stored name of a prepared clip."""
        return f"prepared|{db_to_gain(self.levels.clip_peak_dbfs)!r}"

    def _find_prepared(self, key: _Key) -> np.ndarray | None:
        """The stored prepared clip for KEY, or None."""
        ceiling = db_to_gain(self.levels.clip_peak_dbfs)
        return self._store.find_clip(
            self._level(key), self._prepared_name(), self._lengths[key], ceiling
        )

    def _make_prepared(self, key: _Key) -> np.ndarray:
        """The clip for KEY at its level with its peaks limited, made now."""
        ceiling = db_to_gain(self.levels.clip_peak_dbfs)
        return prepare(self._samples(key), self._level(key).gain_db, ceiling, self.sample_rate)

    def limited(self, key: _Key, ceiling: float, threshold: float) -> np.ndarray:
        """The prepared clip for KEY true-peak limited to CEILING on its own, as the mix
        limits it where it plays alone (a clip with no sample above THRESHOLD, the
        mix's own test, is left as it is, and stored only as prepared)."""
        found = self._ready_clip(("limited", ceiling, key))
        if found is None:
            found = self._stored_limited(key, ceiling, threshold)
            self._keep(("limited", ceiling, key), found)
        return found

    def _limited_name(self, ceiling: float, threshold: float) -> str:
        """The store's name of a clip true-peak limited on its own (`limited`)."""
        return f"limited|{ceiling!r}|{threshold!r}|{self.levels.clip_peak_dbfs!r}"

    def _stored_limited(
        self, key: _Key, ceiling: float, threshold: float, *, kept: bool = True
    ) -> np.ndarray:
        """The clip `limited` gives, from the store, else made and stored (a clip the
        limiter leaves unchanged is stored once, as prepared). KEPT: a prepared clip
        this mixer keeps may be used (not from other threads: the LRU is not locked)."""
        level = self._level(key)
        name = self._limited_name(ceiling, threshold)
        found = self._store.find_clip(level, name, self._lengths[key], ceiling)
        if found is not None:
            return found
        found = self._ready_clip(("prepared", key)) if kept else None
        if found is None:
            found = self._find_prepared(key)
        made = found is None
        if made:
            found = self._make_prepared(key)
        if float(np.max(np.abs(found), initial=0.0)) > threshold:
            found = limit_peaks(found, ceiling, self.sample_rate, true_peak=True)
            self._store.keep_clip(level, name, found)
        elif made:  # limiting changes nothing: one stored copy, the prepared one
            self._store.keep_clip(level, self._prepared_name(), found)
        return found

    def store_clips(self) -> None:
        """Make and store every clip the mix will read from the store -- prepared, or
        true-peak limited where it plays alone, and every group of sounds that meet --
        with the store's workers at once, so a mix after a cold build's calibration
        only reads them. What is stored already is found in this thread, without
        reading it (a warm build starts no worker). Nothing to do with one worker or a
        store without a folder (the mix makes them as it reaches them)."""
        store = self._store
        if store.workers == 1 or store.directory is None:
            return
        ceiling = db_to_gain(self.levels.mix_peak_dbfs)
        threshold = _mix_threshold(ceiling)
        with_music = self._music_plays()
        alone = {key for key, clear in zip(self._keys, self._alone, strict=True) if clear}
        mixed = {key for key, clear in zip(self._keys, self._alone, strict=True) if not clear}
        if with_music:
            alone, mixed = set(), set(self._keys)
        limited_name = self._limited_name(ceiling, threshold)

        def unmade(key: _Key) -> bool:
            level = self._known_level(key)
            if level is None:
                return True
            if store.has_clip(level, self._prepared_name()):
                return False  # alone: limiting changes nothing, or the mix limits it
            return key in mixed or not store.has_clip(level, limited_name)

        def group_unmade(group: int) -> bool:
            members = self._groups[group][2]
            if any(self._known_level(self._keys[j]) is None for j in members):
                return True
            return not store.has_clip(*self._group_name(group, ceiling, threshold))

        keys = [key for key in dict.fromkeys(self._keys) if unmade(key)]
        groups = [] if with_music else [g for g in range(len(self._groups)) if group_unmade(g)]
        if not keys and not groups:
            return

        def make(key: _Key) -> None:
            with contextlib.suppress(ClipNotCached):  # then the mix makes them as it goes
                make_clips(key)

        def make_clips(key: _Key) -> None:
            level = self._level(key)
            prepared = store.has_clip(level, self._prepared_name())
            if key in mixed and not prepared:
                self._prepare(key)
            limited = store.has_clip(level, limited_name)
            if key in alone and not (limited or prepared):
                self._stored_limited(key, ceiling, threshold, kept=False)

        def make_group(group: int) -> None:
            with contextlib.suppress(ClipNotCached):  # then the mix makes it
                if not store.has_clip(*self._group_name(group, ceiling, threshold)):
                    self._stored_group(group, ceiling, threshold, kept=False)

        with ThreadPoolExecutor(
            store.workers, thread_name_prefix="voicecoach-clips", initializer=only_reading_clips
        ) as pool:
            list(pool.map(make, keys))
            list(pool.map(make_group, groups))  # their sounds are prepared (stored) by now

    def group_limited(self, group: int, ceiling: float, threshold: float) -> np.ndarray:
        """The sounds of GROUP (see `_sound_groups`) mixed and true-peak limited to
        CEILING on their own, as the mix limits them (left as mixed with no sample
        above THRESHOLD)."""
        name = ("group", ceiling, self._group_sounds[group])
        found = self._ready_clip(name)
        if found is None:
            found = self._stored_group(group, ceiling, threshold)
            self._keep(name, found)
        return found

    def _group_name(self, group: int, ceiling: float, threshold: float) -> tuple[ClipLevel, str]:
        """Where GROUP limited to CEILING is stored: under its first sound's level, named
        by the limiting and every sound's level and offset."""
        start, _, members = self._groups[group]
        levels = [self._level(self._keys[j]) for j in members]
        placed = zip(members, levels, strict=True)
        sounds = ";".join(f"{int(self._starts[j]) - start}:{level.key}" for j, level in placed)
        return levels[0], f"group|{self._limited_name(ceiling, threshold)}|{sounds}"

    def _stored_group(
        self, group: int, ceiling: float, threshold: float, *, kept: bool = True
    ) -> np.ndarray:
        """The mix `group_limited` gives, from the store, else made and stored. KEPT:
        prepared clips this mixer keeps may be used (not from other threads)."""
        start, end, members = self._groups[group]
        level, name = self._group_name(group, ceiling, threshold)
        found = self._store.find_clip(level, name, end - start, ceiling)
        if found is not None:
            return found
        mix = np.zeros(end - start, dtype=np.float32)
        for j in members:  # in start order, as the mix adds them
            first, last = int(self._starts[j]) - start, int(self._ends[j]) - start
            key = self._keys[j]
            clip = self.prepared(key) if kept else self._prepare(key)
            mix[first:last] += clip[: last - first]
        if float(np.max(np.abs(mix), initial=0.0)) > threshold:
            mix = limit_peaks(mix, ceiling, self.sample_rate, true_peak=True)
        self._store.keep_clip(level, name, mix)
        return mix

    def _ready_clip(self, name: tuple) -> np.ndarray | None:
        """A kept clip (most recently used now), or None."""
        found = self._ready.get(name)
        if found is not None:
            self._ready.move_to_end(name)
        return found

    def _keep(self, name: tuple, clip: np.ndarray) -> None:
        """Keep CLIP, dropping the least recently used ones beyond the budget."""
        self._ready[name] = clip
        self._ready_bytes += clip.nbytes
        while self._ready_bytes > PREPARED_BUDGET and len(self._ready) > 1:
            _, dropped = self._ready.popitem(last=False)
            self._ready_bytes -= dropped.nbytes

    def _samples(self, key: _Key) -> np.ndarray:
        """The clip for KEY as mono float32 (read again from a lazy mapping)."""
        kind, name = key
        return mono_float32((self._speech if kind == "speech" else self._tones)[name].samples)

    def _level(self, key: _Key) -> ClipLevel:
        """The clip's level at the current calibration: limiting grows with the level,
        so a shifted clip's gain and power are found at its shifted target (kept for
        this gain; the store keeps them between builds)."""
        if not self.gain_db:
            return self._clip_levels[key]
        found = self._shifted_levels.get(key)
        if found is None:
            found = self._store.level_of(
                self._contents[key],
                self._lengths[key],
                self._reference_target(key) + self.gain_db,
                db_to_gain(self.levels.clip_peak_dbfs),
                self.sample_rate,
                lambda: self._samples(key),
            )
            self._shifted_levels[key] = found
        return found

    def _known_level(self, key: _Key) -> ClipLevel | None:
        """The clip's level at the current calibration if it is known (`_level` without
        finding it)."""
        return self._shifted_levels.get(key) if self.gain_db else self._clip_levels[key]

    def _shift_levels(self) -> None:
        """Every clip's level at the current calibration, those not yet known found by
        the store's workers at once (what `_level` finds one by one)."""
        if not self.gain_db:
            return
        clips = (
            LevelRequest(
                key,
                self._contents[key],
                self._lengths[key],
                self._reference_target(key) + self.gain_db,
                lambda key=key: self._samples(key),
            )
            for key in dict.fromkeys(self._keys)
            if key not in self._shifted_levels
        )
        ceiling = db_to_gain(self.levels.clip_peak_dbfs)
        for key, level in self._store.levels(clips, ceiling, self.sample_rate):
            self._shifted_levels[key] = level

    def blocks(
        self, start: float = 0.0, block_samples: int = DEFAULT_BLOCK_SAMPLES
    ) -> Iterator[np.ndarray]:
        """Contiguous float32 blocks from START seconds to the end of the track.

        Each block is mixed with a margin on both sides, so the look-ahead limiter
        that catches overlapping peaks gives the same samples whatever the block size.
        """
        if block_samples <= 0:
            raise ValueError("block_samples must be positive")
        total = self.total_samples
        margin = _limiter_reach(self.sample_rate)
        ceiling = db_to_gain(self.levels.mix_peak_dbfs)
        threshold = _mix_threshold(ceiling)
        music_gain = self.music_gain()
        with_music = self.music is not None and music_gain > 0
        pos = min(max(0, round(start * self.sample_rate)), total)
        upcoming = int(np.searchsorted(self._starts, pos - margin))
        active = np.flatnonzero(self._ends[:upcoming] > pos - margin).tolist()
        while pos < total:
            stop = min(pos + block_samples, total)
            lo, hi = pos - margin, stop + margin
            while upcoming < len(self._keys) and self._starts[upcoming] < hi:
                active.append(upcoming)
                upcoming += 1
            for j in active:
                if self._ends[j] <= lo:
                    self._passed(j, ceiling)
            active = [j for j in active if self._ends[j] > lo]
            # sounds that play alone are limited once per clip, and sounds that meet once
            # per group; the rest (music, the track's end) here, together
            grouped = self._group_of
            alone = not with_music and all(self._alone[j] or grouped[j] >= 0 for j in active)
            mix = np.zeros(hi - lo, dtype=np.float32)
            added: set[int] = set()
            for j in active:
                if alone and grouped[j] >= 0:
                    group = int(grouped[j])
                    first, last, _ = self._groups[group]
                    a, b = max(first, lo), min(last, hi)
                    if group not in added and b > a:
                        sound = self.group_limited(group, ceiling, threshold)
                        mix[a - lo : b - lo] += sound[a - first : b - first]
                    added.add(group)
                    continue
                first, last = int(self._starts[j]), int(self._ends[j])
                a, b = max(first, lo, 0), min(last, hi, total)
                if b > a:
                    key = self._keys[j]
                    clip = self.limited(key, ceiling, threshold) if alone else self.prepared(key)
                    mix[a - lo : b - lo] += clip[a - first : b - first]
            if with_music:
                mix += self.music.render(lo, hi - lo) * np.float32(music_gain)
            if not alone and float(np.max(np.abs(mix))) > threshold:
                mix = limit_peaks(mix, ceiling, self.sample_rate, true_peak=True)
            yield mix[margin : margin + stop - pos]
            pos = stop

    def _passed(self, sound: int, ceiling: float) -> None:
        """The mix has passed SOUND: drop the kept clips of its clip, and of its group,
        if no sound (group) after it plays the same (a session's many lines said once
        would otherwise push out of the budget the counts and tones it plays again and
        again, to be read again)."""
        end, key = int(self._ends[sound]), self._keys[sound]
        if end >= self._last_end[key]:
            for name in (("limited", ceiling, key), ("prepared", key)):
                self._drop(name)
        group = int(self._group_of[sound])
        if group >= 0 and end >= self._last_end[self._group_sounds[group]]:
            self._drop(("group", ceiling, self._group_sounds[group]))

    def _drop(self, name: tuple) -> None:
        """Drop the kept clip NAME, if it is kept."""
        clip = self._ready.pop(name, None)
        if clip is not None:
            self._ready_bytes -= clip.nbytes

    def silent_spans(self) -> list[tuple[int, int]]:
        """Sample spans (start, end), in order, where nothing plays: no clip and no music
        (none when a music bed plays under the whole track). The mix is exactly zero there:
        the limiter only scales samples."""
        if self._music_plays():
            return []
        spans, pos = [], 0
        for start, end in zip(self._starts.tolist(), self._ends.tolist(), strict=True):
            if start > pos:
                spans.append((pos, start))
            pos = max(pos, end)
        if pos < self.total_samples:
            spans.append((pos, self.total_samples))
        return spans

    def track(self) -> np.ndarray:
        """The whole track: float32, exactly ``total_samples`` samples."""
        out = np.empty(self.total_samples, dtype=np.float32)
        pos = 0
        for block in self.blocks(0.0, 1 << 16):
            out[pos : pos + len(block)] = block
            pos += len(block)
        return out

    def _music_plays(self) -> bool:
        """Whether a music bed sounds under the track."""
        return self.music_gain() > 0

    def music_gain(self) -> float:
        """Linear gain that brings the music bed to its level relative to the voice."""
        music = self.music
        if music is None or not math.isfinite(music.loudness):
            return 0.0
        target = self.levels.track_lufs + self.gain_db + music.level_db
        return db_to_gain(target - music.loudness)

    def measure(self) -> float:
        """Integrated loudness (LUFS) of the track as currently rendered (one full pass)."""
        meter = LoudnessMeter(self.sample_rate)
        for block in self.blocks(0.0, 1 << 16):
            meter.feed(block)
        return meter.integrated()

    def estimate(self) -> float:
        """Integrated loudness (LUFS) the track will measure, from its clips' levels
        (their K-weighted power in 10 ms bins, placed where they play) and the music
        bed's (its power where it plays, faded and ducked); overlapping sounds add as
        powers. Renders nothing."""
        self._shift_levels()
        size = bin_samples(self.sample_rate)
        bins = np.zeros(-(-self.total_samples // size) + 1, dtype=np.float64)
        for start, key in zip(self._starts.tolist(), self._keys, strict=True):
            powers = self._level(key).powers
            first = round(start / size)
            count = max(0, min(len(powers), len(bins) - first))
            bins[first : first + count] += powers[:count]
        music_gain = self.music_gain()
        if self.music is not None and music_gain > 0:
            music = self.music.bin_powers(size)
            bins[: len(music)] += music * music_gain**2
        return gated_loudness(gated_powers(bins, self.sample_rate))

    def calibrate(self, tolerance_db: float = 0.1) -> float:
        """Shift every clip's level so the whole track measures ``levels.track_lufs``
        (plus ``aim_offset_db``; per-clip targets alone come out low: pauses and tones
        pull the average down). Worked out from the clips' and the music bed's levels,
        without rendering: after the first shift, secant steps (limiting makes a louder
        clip gain less than its shift) take the estimate to within TOLERANCE_DB, up to
        ``_CALIBRATION_STEPS`` shifts, within the calibration range (``at_loudest``:
        the limiter then takes most of any further gain). Returns the gain in dB."""
        target = self.levels.track_lufs + self.aim_offset_db
        error = target - self.estimate()
        previous: tuple[float, float] | None = None
        for _ in range(_CALIBRATION_STEPS):
            if not math.isfinite(error) or abs(error) <= tolerance_db:
                break
            slope = 1.0
            if previous is not None and self.gain_db != previous[0]:
                slope = (previous[1] - error) / (self.gain_db - previous[0])
                slope = min(1.0, max(0.1, slope))
            previous = (self.gain_db, error)
            self.shift_gain(error / slope)
            if self.gain_db == previous[0]:  # at the end of the calibration range
                break
            error = target - self.estimate()
        return self.gain_db

    def retune(self, error_db: float) -> None:
        """The track as decoded measured ERROR_DB under its target (what the estimate
        does not see: the codec, the mix's limiter): aim the calibration ERROR_DB above
        the current estimate (`calibrate` then gets there)."""
        self.aim_offset_db = self.estimate() + error_db - self.levels.track_lufs

    def lower_ceiling(self, db: float) -> None:
        """Lower the mix's true-peak ceiling by DB, and each clip's peak ceiling with it
        where it would be above (their levels found again there), so the calibration,
        which sees the clips' limiting but not the mix's, sees what the lower ceiling
        costs (`calibrate` then makes up for it)."""
        levels = self.levels
        mix = levels.mix_peak_dbfs - db
        clip = min(levels.clip_peak_dbfs, mix)
        self.levels = replace(levels, mix_peak_dbfs=mix, clip_peak_dbfs=clip)
        self._ready.clear()
        self._ready_bytes = 0
        self._shifted_levels.clear()
        if clip != levels.clip_peak_dbfs:
            clips = (
                LevelRequest(
                    key,
                    self._contents[key],
                    self._lengths[key],
                    self._reference_target(key),
                    lambda key=key: self._samples(key),
                )
                for key in dict.fromkeys(self._keys)
            )
            found = self._store.levels(clips, db_to_gain(clip), self.sample_rate)
            self._clip_levels = dict(found)

    @property
    def at_loudest(self) -> bool:
        """Whether the calibration is at the top of its range: the voice is as loud as
        the peak ceilings let it be without flattening it further."""
        return self.gain_db >= _MAX_CALIBRATION - _CALIBRATION_STEP / 2

    def shift_gain(self, db: float) -> None:
        """Raise (or lower) every clip (and the music) by DB, within the calibration
        range, in steps of ``_CALIBRATION_STEP`` (so similar sessions share their clips'
        stored levels)."""
        gain = max(-_MAX_CALIBRATION, min(_MAX_CALIBRATION, self.gain_db + db))
        self.gain_db = round(gain / _CALIBRATION_STEP) * _CALIBRATION_STEP
        self._ready.clear()
        self._ready_bytes = 0
        self._shifted_levels.clear()


def _named(clip: ClipLike) -> tuple[str, Callable[[], np.ndarray]]:
    """CLIP's content name and a function giving its samples (mono float32): a clip
    that knows its length and name (`StoredClip`) is read only when that is called, any
    other now (and named by the digest of its samples if it has no name)."""
    content = getattr(clip, "content", "")
    if content and hasattr(clip, "frames"):
        return content, lambda: mono_float32(clip.samples)
    samples = mono_float32(clip.samples)
    return content or content_name(samples), lambda: samples


def _mix_threshold(ceiling: float) -> float:
    """The sample level above which the mix is true-peak limited to CEILING (true peaks
    pass the samples by up to 3 dB)."""
    return limiter_threshold(ceiling) * db_to_gain(-3.0)
