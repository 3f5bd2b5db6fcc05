"""Clip levels: calibrated without rendering, stored between builds, memory bounded."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from audio_helpers import SR, demo_speech, demo_timeline, speech_event, speech_like

from voicecoach.audio import Mixer, MixLevels, load_tones
from voicecoach.audio import mixer as mixer_module
from voicecoach.audio.clip_levels import LevelRequest, LevelStore, content_name, measure_level
from voicecoach.audio.loudness import db_to_gain, integrated_loudness
from voicecoach.audio.music import MusicBed, speech_spans
from voicecoach.errors import AudioError
from voicecoach.speech.base import Clip
from voicecoach.timeline.model import Chapter, Timeline


def long_timeline(lines: int = 40) -> tuple[Timeline, dict[str, Clip]]:
    """LINES distinct speech clips, 1.5 s each, 2 s apart, with tones between some."""
    events, speech = [], {}
    for n in range(lines):
        text = f"Line {n}."
        speech[text] = Clip(speech_like(1.5, 0.05 + 0.01 * (n % 7), n), SR)
        events.append(speech_event(0.5 + 2.0 * n, text, 1.5))
    duration = 2.0 * lines + 1.0
    return Timeline("t", duration, (Chapter("all", 0.0, duration),), tuple(events)), speech


@pytest.mark.e2e  # mixes and measures an 81 s track for each target
@pytest.mark.parametrize("target", [-16.0, -20.0])
def test_calibration_from_clip_levels_matches_a_full_render(target: float) -> None:
    for timeline, speech in (long_timeline(), (demo_timeline(), demo_speech())):
        mixer = Mixer(timeline, speech, load_tones(), levels=MixLevels(track_lufs=target))
        mixer.calibrate()
        assert mixer.estimate() == pytest.approx(target, abs=0.1)
        assert mixer.measure() == pytest.approx(target, abs=0.3)  # what the file will hold


def test_a_warm_store_measures_nothing_and_mixes_the_same_samples(tmp_path: Path) -> None:
    timeline, speech = long_timeline(6)
    cold_store, warm_store = LevelStore(tmp_path), LevelStore(tmp_path)
    cold = Mixer(timeline, speech, load_tones(), store=cold_store)
    cold.calibrate()
    cold_track = np.concatenate(list(cold.blocks()))
    assert cold_store.measured >= 6
    warm = Mixer(timeline, speech, load_tones(), store=warm_store)
    warm.calibrate()
    assert np.array_equal(np.concatenate(list(warm.blocks())), cold_track)
    assert warm_store.measured == 0


def test_a_stored_level_is_the_measured_one(tmp_path: Path) -> None:
    samples = speech_like(1.2, 0.2, 3)
    ceiling = db_to_gain(-2.0)
    stored = LevelStore(tmp_path).level(samples, -16.0, ceiling, SR)
    again = LevelStore(tmp_path).level(samples, -16.0, ceiling, SR)
    fresh = measure_level(samples, -16.0, ceiling, SR)
    assert again.gain_db == stored.gain_db == fresh.gain_db
    assert np.array_equal(again.powers, fresh.powers)
    other = LevelStore(tmp_path).level(samples, -20.0, ceiling, SR)  # the target is in the key
    assert other.gain_db == pytest.approx(fresh.gain_db - 4.0, abs=0.2)


def test_a_known_loudness_gives_the_very_level_measured_without_it() -> None:
    ceiling = db_to_gain(-2.0)
    for samples in (speech_like(1.3, 0.3, 4), speech_like(0.2, 0.01, 9), np.zeros(500, "f4")):
        own = integrated_loudness(samples, SR)
        for target in (-16.0, -9.5, -30.0):
            plain = measure_level(samples, target, ceiling, SR)
            told = measure_level(samples, target, ceiling, SR, own)
            assert told.gain_db == plain.gain_db
            assert np.array_equal(told.powers, plain.powers)


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_measure_the_same_levels_in_order_holding_few_clips(
    tmp_path: Path, workers: int
) -> None:
    ceiling = db_to_gain(-2.0)
    clips = [(n, speech_like(0.6 + 0.1 * n, 0.05 + 0.03 * n, n), -16.0 - n) for n in range(9)]
    drawn = []

    def lazily():
        for n, samples, target in clips:
            drawn.append(n)
            yield LevelRequest(n, content_name(samples), len(samples), target, lambda s=samples: s)

    store = LevelStore(tmp_path / "parallel", workers)
    found = []
    for name, level in store.levels(lazily(), ceiling, SR):
        assert len(drawn) - len(found) <= 2 * workers  # never the whole batch at once
        found.append((name, level))
    assert [name for name, _ in found] == list(range(9))
    assert store.measured == 9
    for (_, samples, target), (_, level) in zip(clips, found, strict=True):
        alone = measure_level(samples, target, ceiling, SR)
        assert level.gain_db == alone.gain_db
        assert np.array_equal(level.powers, alone.powers)
    warm = LevelStore(tmp_path / "parallel", workers)
    assert [lv.gain_db for _, lv in warm.levels(lazily(), ceiling, SR)] == [
        lv.gain_db for _, lv in found
    ]
    assert warm.measured == 0
    partly = LevelStore(tmp_path / "partly", workers)  # stored ones read here, in order
    list(partly.levels((r for r in lazily() if r.name % 2 == 0), ceiling, SR))
    assert [(n, lv.gain_db) for n, lv in partly.levels(lazily(), ceiling, SR)] == [
        (n, lv.gain_db) for n, lv in found
    ]
    assert partly.measured == 5 + 4


def test_a_warm_store_starts_no_worker_and_reads_no_clip_before_the_mix(
    tmp_path: Path, monkeypatch
) -> None:
    """With every level and clip stored, the levels are read and store_clips finds what
    is stored in the calling thread, reading no clip; the mix then reads them."""
    from voicecoach.audio import clip_levels

    timeline, speech = demo_timeline(), demo_speech()
    cold = Mixer(timeline, speech, load_tones(), store=LevelStore(tmp_path, 2))
    cold.calibrate()
    cold.store_clips()
    track = np.concatenate(list(cold.blocks()))

    def no_workers(*args, **kwargs):
        raise AssertionError("a worker was started")

    reads = []
    find_clip = LevelStore.find_clip
    monkeypatch.setattr(clip_levels, "ThreadPoolExecutor", no_workers)
    monkeypatch.setattr(mixer_module, "ThreadPoolExecutor", no_workers)
    monkeypatch.setattr(
        LevelStore, "find_clip", lambda *args: reads.append(args) or find_clip(*args)
    )
    store = LevelStore(tmp_path, 2)
    warm = Mixer(timeline, speech, load_tones(), store=store)
    assert warm.calibrate() == cold.gain_db
    warm.store_clips()
    assert reads == [] and store.measured == 0
    assert np.array_equal(np.concatenate(list(warm.blocks())), track)


@pytest.mark.parametrize("which", ["apart", "demo"])
def test_a_mixer_with_level_workers_mixes_the_same_samples(tmp_path: Path, which: str) -> None:
    timeline, speech = long_timeline(8) if which == "apart" else (demo_timeline(), demo_speech())
    tracks, stored = [], []
    for workers in (1, 2):
        store = LevelStore(tmp_path / str(workers), workers)
        mixer = Mixer(timeline, speech, load_tones(), store=store)
        gain = mixer.calibrate()
        assert gain != 0.0  # the shifted levels were measured too
        assert store.measured > len(speech)
        mixer.store_clips()  # with 2 workers: every clip the mix reads, made at once
        before = sorted(store.directory.rglob("*.npy"))
        tracks.append(np.concatenate(list(mixer.blocks())))
        stored.append(sorted(p.relative_to(store.directory) for p in before))
        if workers > 1:  # the mix found them all
            assert sorted(store.directory.rglob("*.npy")) == before
    assert np.array_equal(tracks[0], tracks[1])
    assert set(stored[1]) <= set(
        p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*.npy")
    )


def test_level_workers_leave_a_clip_gone_from_the_phrase_cache_to_the_mix(
    tmp_path: Path,
) -> None:
    from voicecoach.script.model import Voice
    from voicecoach.speech import PhraseCache
    from voicecoach.speech.fake import FakeEngine

    voice = Voice(engine="fake")
    texts = [f"Line number {n} of the session." for n in range(8)]
    tracks = []
    for workers in (1, 2):
        engine = FakeEngine()
        cache = PhraseCache(engine, tmp_path / f"cache{workers}", memory_limit=1)
        lengths = cache.ensure(texts, voice)
        events = [speech_event(1.0 + 4.0 * n, t, lengths[t]) for n, t in enumerate(texts)]
        timeline = Timeline(
            "t", 4.0 * len(texts) + 1.0, (Chapter("all", 0.0, 33.0),), tuple(events)
        )
        store = LevelStore(tmp_path / f"levels{workers}", workers)
        mixer = Mixer(timeline, cache.clips(texts, voice), load_tones(), store=store)
        gone = [cache.path(text, voice) for text in texts[::3]]
        for path in gone:  # nowhere now: spoken again when read (in this thread)
            path.unlink()
        assert mixer.calibrate() != 0.0  # the shifted levels are measured now
        for path in gone:  # spoken again, and gone again
            path.unlink()
        mixer.store_clips()
        tracks.append(np.concatenate(list(mixer.blocks())))
        assert len(engine.calls) > len(texts)  # the missing ones were spoken again
    assert np.array_equal(tracks[0], tracks[1])


def test_a_missing_clip_is_refused_with_level_workers_too(tmp_path: Path) -> None:
    timeline, speech = long_timeline(12)
    del speech["Line 9."]
    with pytest.raises(AudioError, match="no speech clip for 'Line 9.'"):
        Mixer(timeline, speech, load_tones(), store=LevelStore(tmp_path, 2))


def test_damaged_or_hostile_entries_are_measured_again(tmp_path: Path) -> None:
    samples, ceiling = speech_like(1.0, 0.1, 5), db_to_gain(-2.0)
    store = LevelStore(tmp_path)
    good = store.level(samples, -16.0, ceiling, SR)
    (entry,) = [p for p in tmp_path.rglob("*.npy")]
    stored = np.load(entry)
    for damage in ("garbage", "fifo", "zero", "huge gain", "negative power"):
        entry.unlink()
        if damage == "garbage":
            entry.write_bytes(b"not a level")
        elif damage == "huge gain":  # would overflow the gain: an error, not a track
            np.save(entry, np.concatenate(([1e300], stored[1:])))
        elif damage == "negative power":
            np.save(entry, np.concatenate((stored[:1], -stored[1:])))
        elif damage == "fifo":
            os.mkfifo(entry)
        else:
            entry.symlink_to("/dev/zero")
        found = LevelStore(tmp_path).level(samples, -16.0, ceiling, SR)  # no hang, no flood
        assert found.gain_db == good.gain_db


def test_prepared_clips_stay_within_the_budget_without_changing_the_mix(monkeypatch) -> None:
    timeline, speech = long_timeline(8)
    whole = np.concatenate(list(Mixer(timeline, speech, load_tones()).blocks()))
    monkeypatch.setattr(mixer_module, "PREPARED_BUDGET", 3 * SR * 4)  # about two clips
    mixer = Mixer(timeline, speech, load_tones())
    peak = 0
    blocks = []
    for block in mixer.blocks():
        blocks.append(block)
        peak = max(peak, mixer._ready_bytes)
    assert peak <= 3 * SR * 4 + 2 * SR * 4
    assert np.array_equal(np.concatenate(blocks), whole)


def test_each_clip_reaches_its_calibrated_level() -> None:
    timeline, speech = long_timeline(6)
    mixer = Mixer(timeline, speech, load_tones())
    gain = mixer.calibrate()
    for text in speech:
        prepared = mixer.prepared(("speech", text))
        assert integrated_loudness(prepared, SR) == pytest.approx(-16.0 + gain, abs=0.15)
        assert float(np.abs(prepared).max()) <= db_to_gain(-2.0)


def _music(seconds: float, seed: int) -> np.ndarray:
    """Noise swelling and fading every few seconds (music is not steady)."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * SR)) / SR
    swell = 0.5 + 0.45 * np.sin(2 * np.pi * t / (3.0 + seed))
    return (0.2 * swell * rng.standard_normal(len(t))).astype(np.float32)


@pytest.mark.parametrize(
    ("level_db", "duck_db", "music_seconds"),
    [(-14.0, 12.0, 7.0), (-20.0, 18.0, 200.0), (-2.0, 3.0, 11.0)],
)
def test_calibration_with_a_music_bed_matches_a_full_render_without_one(
    level_db: float, duck_db: float, music_seconds: float
) -> None:
    for timeline, speech in (long_timeline(), (demo_timeline(), demo_speech())):
        bed = MusicBed(
            _music(music_seconds, int(music_seconds)),
            SR,
            round(timeline.duration * SR),
            speech_spans(timeline),
            level_db=level_db,
            duck_db=duck_db,
        )
        mixer = Mixer(timeline, speech, load_tones(), music=bed)
        mixer.calibrate()
        assert mixer.estimate() == pytest.approx(-16.0, abs=0.3)
        assert mixer.measure() == pytest.approx(-16.0, abs=0.3)  # what the file will hold


def test_a_cached_clip_finds_its_stored_level_by_its_entry_name(tmp_path: Path) -> None:
    from voicecoach.script.model import Voice
    from voicecoach.speech import PhraseCache
    from voicecoach.speech.fake import FakeEngine

    voice = Voice(engine="fake")
    PhraseCache(FakeEngine(), tmp_path / "cache").clip("Lift your hips.", voice)
    clip = PhraseCache(FakeEngine(), tmp_path / "cache").clip("Lift your hips.", voice)
    assert clip.content.startswith("pcm16:") and len(clip.content) == 6 + 64
    ceiling = db_to_gain(-2.0)
    store = LevelStore(tmp_path / "levels")
    args = (clip.content, len(clip.samples), -16.0, ceiling, SR)
    measured = store.level_of(*args, lambda: clip.samples)
    assert measured.gain_db == measure_level(clip.samples, -16.0, ceiling, SR).gain_db

    def must_not_load() -> np.ndarray:
        raise AssertionError("a stored level was measured again")

    found = LevelStore(tmp_path / "levels").level_of(*args, must_not_load)
    assert (found.gain_db, found.key) == (measured.gain_db, measured.key)
    assert np.array_equal(found.powers, measured.powers)


def test_a_warm_mix_reads_no_phrase_samples(tmp_path: Path) -> None:
    """With every level and clip stored, a mixer over the phrase cache's clips knows each
    phrase by its entry's header and never reads its samples: entries whose samples are
    damaged (their headers whole) give the same track, found damaged by nobody."""
    from voicecoach.script.model import Voice
    from voicecoach.speech import PhraseCache
    from voicecoach.speech.fake import FakeEngine

    voice = Voice(engine="fake")
    texts = [f"Line number {n} of the session." for n in range(6)]
    tracks = []
    for run in ("cold", "warm"):
        cache = PhraseCache(FakeEngine(), tmp_path / "cache")
        lengths = cache.ensure(texts, voice)
        events = [speech_event(1.0 + 4.0 * n, t, lengths[t]) for n, t in enumerate(texts)]
        timeline = Timeline("t", 25.0, (Chapter("all", 0.0, 25.0),), tuple(events))
        mixer = Mixer(
            timeline, cache.clips(texts, voice), load_tones(), store=LevelStore(tmp_path / "lv")
        )
        mixer.calibrate()
        tracks.append(np.concatenate(list(mixer.blocks())))
        assert (cache.corrupt, cache.synthesized) == (0, len(texts) if run == "cold" else 0)
        for text in texts:  # damaged under a whole header: the warm mix never sees it
            path = cache.path(text, voice)
            raw = bytearray(path.read_bytes())
            raw[-100] ^= 0xFF
            path.write_bytes(bytes(raw))
    assert np.array_equal(tracks[0], tracks[1])


def test_a_warm_mix_reads_each_stored_clip_once(tmp_path: Path, monkeypatch) -> None:
    """Groups alike (a count over a tone, set after set) are kept once, and a clip's
    kept copy is dropped after its last sound, not before: one pass reads each stored
    clip once, and mixes what the cold pass mixed."""
    from collections import Counter

    from audio_helpers import tone_event

    events, speech = [], {}
    for n in range(8):  # a count over a tone, set after set, between lines said once
        text = f"Line {n}."
        speech[text] = Clip(speech_like(1.5, 0.05 + 0.01 * n, n), SR)
        events += [speech_event(4.0 * n, text, 1.5), tone_event(4.0 * n + 2.0, "up")]
        events.append(speech_event(4.0 * n + 2.02, "Two.", 0.5))
    speech["Two."] = Clip(speech_like(0.5, 0.2, 99), SR)
    timeline = Timeline("t", 33.0, (Chapter("all", 0.0, 33.0),), tuple(events))
    cold = Mixer(timeline, speech, load_tones(), store=LevelStore(tmp_path))
    cold.calibrate()
    track = np.concatenate(list(cold.blocks(0.0, 4096)))
    reads: Counter = Counter()
    find_clip = LevelStore.find_clip

    def counted(store, level, name, length, bound):
        found = find_clip(store, level, name, length, bound)
        if found is not None:
            reads[level.key, name] += 1
        return found

    monkeypatch.setattr(LevelStore, "find_clip", counted)
    warm = Mixer(timeline, speech, load_tones(), store=LevelStore(tmp_path))
    warm.calibrate()
    assert np.array_equal(np.concatenate(list(warm.blocks(0.0, 4096))), track)
    assert reads and set(reads.values()) == {1}
    assert len(warm._groups) == 8 and len(set(warm._group_sounds)) == 1  # groups alike
