"""`PhraseCache.ensure` speaking with several engines at once."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from voicecoach import pipeline
from voicecoach.script.model import Voice
from voicecoach.speech import PhraseCache
from voicecoach.speech.fake import FakeEngine

VOICE = Voice(engine="fake", name="en-gb", rate=150)
PHRASES = [f"Phrase number {n}." for n in range(24)]


class CountingFactory:
    """Makes FakeEngines that sleep a little (so workers really overlap) and counts
    how many were closed."""

    def __init__(self) -> None:
        self.engines: list[FakeEngine] = []
        self.closed = 0

    def __call__(self) -> FakeEngine:
        factory = self

        class Engine(FakeEngine):
            def close(self) -> None:
                factory.closed += 1

        engine = Engine(hang_seconds=0.01)
        self.engines.append(engine)
        return engine


def test_parallel_ensure_speaks_each_phrase_once_with_every_worker(tmp_path: Path) -> None:
    factory = CountingFactory()
    cache = PhraseCache(factory(), tmp_path, engine_factory=factory, workers=3)
    seen: list[tuple[int, int]] = []
    durations = cache.ensure(PHRASES + PHRASES[:5], VOICE, lambda d, t, _: seen.append((d, t)))
    assert list(durations) == PHRASES
    assert cache.synthesized == len(PHRASES)
    calls = [text for engine in factory.engines for text in engine.calls]
    assert sorted(calls) == sorted(PHRASES)  # each phrase spoken exactly once
    assert len(factory.engines) == 3 and all(engine.calls for engine in factory.engines)
    assert factory.closed == 2  # the extra engines, not the cache's own
    assert sorted(seen) == [(n, len(PHRASES)) for n in range(1, len(PHRASES) + 1)]


def test_parallel_and_sequential_give_identical_entries(tmp_path: Path) -> None:
    factory = CountingFactory()
    parallel = PhraseCache(factory(), tmp_path / "p", engine_factory=factory, workers=2)
    sequential = PhraseCache(FakeEngine(), tmp_path / "s")
    assert parallel.ensure(PHRASES, VOICE) == sequential.ensure(PHRASES, VOICE)
    for text in PHRASES:
        a, b = parallel.path(text, VOICE), sequential.path(text, VOICE)
        assert a.read_bytes() == b.read_bytes()
    again = PhraseCache(FakeEngine(), tmp_path / "p")
    assert again.ensure(PHRASES, VOICE) and again.synthesized == 0
    assert np.array_equal(
        again.clip(PHRASES[3], VOICE).samples, sequential.clip(PHRASES[3], VOICE).samples
    )


def test_a_failing_phrase_stops_the_workers_and_is_raised(tmp_path: Path) -> None:
    engines = []

    def factory() -> FakeEngine:
        # a long phrase (taken early) fails; the other worker, 50 ms a phrase, cannot
        # speak the ten short ones left before the failure stops it
        engines.append(FakeEngine(fail_on="number 17", hang_seconds=0.05))
        return engines[-1]

    cache = PhraseCache(factory(), tmp_path, engine_factory=factory, workers=2)
    with pytest.raises(Exception, match="7"):
        cache.ensure(PHRASES, VOICE)
    spoken = sum(len(engine.calls) for engine in engines)
    assert spoken < len(PHRASES)  # the rest were not started


def test_each_worker_takes_the_longest_phrase_left(tmp_path: Path) -> None:
    factory = CountingFactory()
    texts = [("word " * n).strip() + "." for n in (3, 11, 1, 7, 20, 2, 9, 5)]
    cache = PhraseCache(factory(), tmp_path, engine_factory=factory, workers=2)
    cache.ensure(texts, VOICE)
    for engine in factory.engines:
        lengths = [len(text) for text in engine.calls]
        assert lengths == sorted(lengths, reverse=True)
    assert max(texts, key=len) in {engine.calls[0] for engine in factory.engines}


def test_a_cold_plan_synthesises_only_the_lines_the_track_says(tmp_path: Path) -> None:
    programme = pipeline.load(None, voice=pipeline.VoiceOverride(engine="fake"))
    speech = pipeline.open_cache(programme, tmp_path, speakers=2)
    timeline = pipeline.plan(programme, speech)
    assert speech.synthesized == len(timeline.phrases())
    again = pipeline.open_cache(programme, tmp_path, speakers=1)
    assert pipeline.plan(programme, again) == timeline
    assert again.synthesized == 0


def test_clips_are_read_from_several_threads_while_memory_drops_them(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(), tmp_path, memory_limit=1)  # keeps one clip at a time
    cache.ensure(PHRASES, VOICE)
    expected = {text: cache.clip(text, VOICE).samples for text in PHRASES}

    def read(offset: int) -> bool:
        return all(
            np.array_equal(cache.clip(text, VOICE).samples, expected[text])
            for _ in range(20)
            for text in PHRASES[offset:] + PHRASES[:offset]
        )

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch between almost any two steps
    try:
        with ThreadPoolExecutor(4) as pool:
            assert all(pool.map(read, range(0, 24, 6)))
    finally:
        sys.setswitchinterval(interval)


@pytest.mark.parametrize("workers", [1, 2])
def test_each_new_clip_is_handed_on_once_in_the_thread_that_spoke_it(
    tmp_path: Path, workers: int
) -> None:
    import threading

    factory = CountingFactory()
    cache = PhraseCache(factory(), tmp_path, engine_factory=factory, workers=workers)
    cache.ensure(PHRASES[:4], VOICE)
    handed: list[tuple[str, str]] = []

    def then(clip) -> None:
        handed.append((clip.content, threading.current_thread().name))

    cache.ensure(PHRASES, VOICE, then=then)
    new = PHRASES[4:]  # the first four were cached: nothing to hand on
    assert sorted(content for content, _ in handed) == sorted(
        cache.clip(text, VOICE).content for text in new
    )
    speakers = {name for _, name in handed}
    if workers == 1:
        assert speakers == {threading.current_thread().name}
    else:
        assert len(speakers) == 2 and all(n.startswith("voicecoach-speak") for n in speakers)


def test_a_failure_after_a_clip_stops_the_speakers_too(tmp_path: Path) -> None:
    factory = CountingFactory()
    cache = PhraseCache(factory(), tmp_path, engine_factory=factory, workers=2)

    def then(clip) -> None:
        raise RuntimeError("cannot measure it")

    with pytest.raises(RuntimeError, match="cannot measure it"):
        cache.ensure(PHRASES, VOICE, then=then)
    assert cache.synthesized < len(PHRASES)


def test_a_cold_plan_for_a_track_stores_the_levels_its_mix_looks_up(tmp_path: Path) -> None:
    from voicecoach.audio import Mixer, track_levels
    from voicecoach.audio.clip_levels import LevelStore

    programme = pipeline.load(None, voice=pipeline.VoiceOverride(engine="fake"))
    track = pipeline.TrackFormat("mp3", 64, -18.0)
    measured = {}
    for planned in ("ahead", "later"):
        speech = pipeline.open_cache(programme, tmp_path / planned, speakers=2)
        timeline = pipeline.plan(programme, speech, track=track if planned == "ahead" else None)
        assembly = pipeline.assemble(programme, timeline, speech, track.loudness)
        store = LevelStore(speech.directory / "levels", 2)
        levels = track_levels(assembly.levels, track.format, track.bitrate)
        mixer = Mixer(timeline, assembly.speech, assembly.tones, levels=levels, store=store)
        measured[planned] = store.measured
        mixer.calibrate()
        mixer.store_clips()
        measured[planned, "track"] = np.concatenate(list(mixer.blocks()))
    tones = len({event.tone for event in timeline.events if event.kind == "tone"})
    assert measured["ahead"] == tones  # every phrase's level was stored while speaking
    assert measured["later"] == tones + len(timeline.phrases())
    assert np.array_equal(measured["ahead", "track"], measured["later", "track"])
