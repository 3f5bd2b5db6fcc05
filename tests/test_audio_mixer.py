"""The mixer: sample-exact placement, block independence, levels, limiting, errors."""

from __future__ import annotations

import numpy as np
import pytest
from audio_helpers import (
    SR,
    demo_speech,
    demo_timeline,
    render,
    speech_event,
    speech_like,
    tone_event,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_helpers import examples

from voicecoach.audio import DEFAULT_BLOCK_SAMPLES, Mixer, MixLevels, RenderAssembly, load_tones
from voicecoach.audio.clip_levels import LevelStore
from voicecoach.audio.loudness import (
    LoudnessMeter,
    db_to_gain,
    integrated_loudness,
    limit_peaks,
)
from voicecoach.errors import AudioError
from voicecoach.speech.base import Clip
from voicecoach.timeline.model import Chapter, Timeline


@pytest.fixture(scope="module")
def tones():
    return load_tones()


@pytest.fixture(scope="module")
def demo():
    timeline, speech = demo_timeline(), demo_speech()
    mixer = Mixer(timeline, speech, load_tones())
    mixer.calibrate()
    return timeline, speech, mixer, np.concatenate(list(mixer.blocks()))


def _single(events, duration=3.0):
    return Timeline("t", duration, (Chapter("all", 0.0, duration),), tuple(events))


def test_render_has_exact_length(demo, tones):
    timeline, speech, _, _ = demo
    track = render(timeline, speech, tones)
    assert track.dtype == np.float32
    assert len(track) == round(timeline.duration * SR)


@pytest.mark.parametrize("block_samples", [97, 1000, 16384, 1 << 20])
@pytest.mark.parametrize("start", [0.0, 5.0, 9.55, 11.999])
def test_blocks_are_identical_whatever_the_block_size_and_start(demo, block_samples, start):
    _, _, mixer, whole = demo
    blocks = list(mixer.blocks(start, block_samples))
    assert all(b.dtype == np.float32 and len(b) <= block_samples for b in blocks)
    assert np.array_equal(np.concatenate(blocks), whole[round(start * SR) :])


def test_render_blocks_and_render_agree(demo, tones):
    timeline, speech, _, whole = demo
    mixer = RenderAssembly(timeline, speech, tones).mixer()
    streamed = np.concatenate(list(mixer.blocks(2.0, DEFAULT_BLOCK_SAMPLES)))
    assert np.array_equal(streamed, whole[2 * SR :])
    assert np.array_equal(render(timeline, speech, tones), whole)


def test_tone_starts_at_the_exact_sample(tones):
    start = 1.2345678
    mixer = Mixer(_single([tone_event(start, "up")]), {}, tones)
    track = np.concatenate(list(mixer.blocks(0.0, 999)))
    onset = round(start * SR)
    prepared = mixer.prepared(("tone", "up"))
    assert not track[:onset].any()
    assert np.array_equal(track[onset : onset + len(prepared)], prepared)
    assert not track[onset + len(prepared) :].any()


def test_speech_clips_are_normalised_to_one_level():
    quiet, loud = speech_like(1.5, -35.0, 1), speech_like(1.5, -3.0, 2)
    events = [speech_event(0.2, "quiet", 1.5), speech_event(2.0, "loud", 1.5)]
    timeline = _single(events, 4.0)
    mixer = Mixer(timeline, {"quiet": Clip(quiet, SR), "loud": Clip(loud, SR)}, {})
    track = np.concatenate(list(mixer.blocks()))
    first = integrated_loudness(track[round(0.2 * SR) : round(1.7 * SR)], SR)
    second = integrated_loudness(track[2 * SR : round(3.5 * SR)], SR)
    assert first == pytest.approx(-16.0, abs=0.3)
    assert second == pytest.approx(-16.0, abs=0.3)
    assert np.max(np.abs(track)) <= db_to_gain(-2.0)


def test_tones_are_softer_than_speech(demo):
    _, _, mixer, _ = demo
    speech = integrated_loudness(mixer.prepared(("speech", "Welcome to the session.")), SR)
    for name in ("count", "go", "end", "side"):
        tone = integrated_loudness(mixer.prepared(("tone", name)), SR)
        assert tone == pytest.approx(speech - 8.0, abs=0.5)


def test_calibration_brings_the_whole_track_to_target(demo):
    _, _, mixer, whole = demo
    meter = LoudnessMeter(SR)
    meter.feed(whole)
    assert meter.integrated() == pytest.approx(-16.0, abs=0.3)
    assert integrated_loudness(whole, SR) == pytest.approx(meter.integrated(), abs=0.05)


def test_overlapping_loud_sounds_are_limited_not_clipped(tones):
    loud = speech_like(2.0, 0.0, 5)  # source far above full scale at its peaks
    events = [speech_event(0.5, "a", 2.0)]
    events += [tone_event(0.6 + 0.15 * i, "up") for i in range(10)]
    events += [tone_event(1.0, "go"), tone_event(1.05, "end")]
    timeline = _single(sorted(events, key=lambda e: e.start), 3.0)
    levels = MixLevels()
    track = render(timeline, {"a": Clip(loud, SR)}, tones, levels=levels)
    peak = float(np.max(np.abs(track)))
    assert peak <= db_to_gain(levels.mix_peak_dbfs)
    assert peak > db_to_gain(levels.mix_peak_dbfs - 0.5)  # the overlap did reach the ceiling
    # No flat tops: a limiter turns the gain down smoothly, it does not clip samples.
    top = np.abs(track) > db_to_gain(levels.mix_peak_dbfs - 0.05)
    assert np.count_nonzero(top[1:] & top[:-1]) < 20


def test_limit_peaks_respects_ceiling_and_leaves_quiet_audio_alone():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(SR) * 0.4).astype(np.float32)
    limited = limit_peaks(x, 0.5, SR)
    assert np.max(np.abs(limited)) <= 0.5
    quiet = x * np.float32(0.1)
    assert np.array_equal(limit_peaks(quiet, 0.5, SR), quiet)


def test_loudness_of_reference_sine():
    t = np.arange(5 * SR) / SR
    full_scale_1k = np.sin(2 * np.pi * 1000 * t)  # BS.1770: -3.01 LKFS
    assert integrated_loudness(full_scale_1k, SR) == pytest.approx(-3.01, abs=0.02)
    assert integrated_loudness(np.zeros(SR), SR) == -np.inf


def test_missing_speech_clip_names_the_text(tones):
    timeline = _single([speech_event(0.5, "Keep your pelvis still.", 1.0)])
    with pytest.raises(AudioError, match="Keep your pelvis still"):
        Mixer(timeline, {}, tones)


def test_missing_tone_is_an_error():
    with pytest.raises(AudioError, match="'side'"):
        Mixer(_single([tone_event(0.5, "side")]), {}, {})


def test_clip_of_the_wrong_length_or_rate_is_an_error(tones):
    timeline = _single([speech_event(0.5, "Hi.", 1.0)])
    with pytest.raises(AudioError, match=r"'Hi\.' lasts 2\.000 s .* gives it 1\.000 s"):
        Mixer(timeline, {"Hi.": Clip(np.zeros(2 * SR, np.float32), SR)}, tones)
    with pytest.raises(AudioError, match="22050 Hz"):
        Mixer(timeline, {"Hi.": Clip(np.zeros(SR // 2, np.float32), SR // 2)}, tones)


def test_duck_typed_int16_clip_is_accepted(tones):
    class Raw:
        samples = (speech_like(1.0, -20, 3) * 32767).astype(np.int16)
        sample_rate = SR

    track = render(_single([speech_event(0.5, "x", 1.0)]), {"x": Raw()}, tones)
    assert integrated_loudness(track, SR) == pytest.approx(-16.0, abs=0.5)


def test_silent_timeline_renders_silence(tones):
    track = render(_single([], 2.0), {}, tones)
    assert len(track) == 2 * SR and not track.any()


def _limit_whole(x: np.ndarray, ceiling: float, *, true_peak: bool) -> np.ndarray:
    """The limiter worked over the whole array at once (what `limit_peaks` computes
    stretch by stretch)."""
    from voicecoach.audio import loudness

    magnitude = loudness.true_peak_envelope(x, ceiling * 0.5) if true_peak else np.abs(x)
    target = loudness.limiter_threshold(ceiling)
    if float(magnitude.max()) <= target:
        return x
    return loudness._limit_stretch(x, magnitude, target, loudness.limiter_half_width(SR))


@settings(max_examples=examples(60), deadline=None)
@given(
    seed=st.integers(0, 2**31),
    bursts=st.lists(st.tuples(st.integers(0, 40_000), st.floats(0.5, 3.0)), max_size=8),
    true_peak=st.booleans(),
)
def test_the_limiter_works_stretch_by_stretch_as_over_the_whole_array(seed, bursts, true_peak):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(44_100) * 0.05).astype(np.float32)
    for at, level in bursts:  # loud bursts, some close together, some far apart
        x[at : at + 300] *= np.float32(level * 20)
    ceiling = db_to_gain(-2.0)
    limited = limit_peaks(x, ceiling, SR, true_peak=true_peak)
    assert np.array_equal(limited, _limit_whole(x, ceiling, true_peak=true_peak))
    assert float(np.abs(limited).max()) <= ceiling


def _mixed_timeline() -> tuple[Timeline, dict[str, Clip]]:
    """Loud clips alone, two that overlap, and one that ends just before another."""
    speech = {f"Line {n}.": Clip(speech_like(1.2, 0.0, n), SR) for n in range(5)}
    events = [
        speech_event(0.2, "Line 0.", 1.2),
        speech_event(2.0, "Line 1.", 1.2),
        speech_event(2.6, "Line 2.", 1.2),  # over line 1
        speech_event(4.5, "Line 3.", 1.2),
        speech_event(5.71, "Line 4.", 1.2),  # 10 ms after line 3: within the limiter's reach
        tone_event(8.0, "go"),
    ]
    return _single(events, 9.5), speech


@pytest.mark.parametrize("block_samples", [1000, 16384, 1 << 20])
def test_clips_limited_on_their_own_mix_as_the_whole_mix_limited(
    tones, tmp_path, monkeypatch, block_samples
):
    """Sounds alone limited once as clips, and sounds that meet limited once as groups,
    mix as the whole mix limited block by block (no sound alone, no group)."""
    timeline, speech = _mixed_timeline()
    levels = MixLevels(mix_peak_dbfs=-3.0)  # below the clips' own ceiling: all are limited
    monkeypatch.setattr(Mixer, "_isolated", lambda self: np.zeros(len(self._keys), dtype=bool))
    monkeypatch.setattr(
        Mixer, "_sound_groups", lambda self: ([], np.full(len(self._keys), -1, dtype=np.int64))
    )
    together = np.concatenate(list(Mixer(timeline, speech, tones, levels=levels).blocks()))
    monkeypatch.undo()
    alone = Mixer(timeline, speech, tones, levels=levels)
    assert alone._alone.tolist() == [True, False, False, False, False, True]
    assert alone._group_of.tolist() == [-1, 0, 0, 1, 1, -1]
    assert np.array_equal(np.concatenate(list(alone.blocks(0.0, block_samples))), together)
    for _ in range(2):  # limited clips and groups made and stored, then read from the store
        stored = Mixer(timeline, speech, tones, levels=levels, store=LevelStore(tmp_path))
        assert np.array_equal(np.concatenate(list(stored.blocks(0.0, block_samples))), together)
    groups = [p for p in tmp_path.rglob("*.npy") if len(np.load(p)) > 1.2 * SR + 1]
    assert len(groups) == 2  # each group's mix, stored once


def test_damaged_stored_clips_are_made_again(tones, tmp_path):
    timeline, speech = _mixed_timeline()
    levels = MixLevels(mix_peak_dbfs=-3.0)
    fresh = np.concatenate(list(Mixer(timeline, speech, tones, levels=levels).blocks()))
    Mixer(timeline, speech, tones, levels=levels, store=LevelStore(tmp_path)).track()
    clips = [p for p in tmp_path.rglob("*.npy") if np.load(p).dtype == np.float32]
    assert clips  # the limited clips of the lines that play alone, the overlapping ones'
    damages = [
        np.zeros(10, dtype=np.float32),  # wrong length
        np.full(len(np.load(clips[0])), np.nan, dtype=np.float32),
        np.full(len(np.load(clips[0])), 4.0, dtype=np.float32),  # louder than full scale
        np.ones(len(np.load(clips[0])), dtype=np.float32),  # above the ceilings they were made to
        np.zeros(len(np.load(clips[0])), dtype=np.float64),
    ]
    for damage in damages:
        for path in clips:
            np.save(path, damage if len(damage) == 10 else np.resize(damage, len(np.load(path))))
        mixer = Mixer(timeline, speech, tones, levels=levels, store=LevelStore(tmp_path))
        assert np.array_equal(mixer.track(), fresh)


def test_a_lower_ceiling_lowers_the_clips_peaks_and_the_calibration_makes_up_for_it(demo):
    """lower_ceiling takes the clips' peak ceiling down with the mix's, so the estimate
    sees what the limiting costs, and calibrate brings the rendered track back to its
    target (within what the estimate, blind to the mix limiter, is off)."""
    timeline, speech, _, _ = demo
    levels = MixLevels(track_lufs=-20.0, mix_peak_dbfs=-2.0)
    mixer = Mixer(timeline, speech, load_tones(), levels=levels)
    mixer.calibrate()
    before = mixer.estimate()
    mixer.lower_ceiling(3.0)
    assert mixer.levels.mix_peak_dbfs == pytest.approx(-5.0)
    assert mixer.levels.clip_peak_dbfs == pytest.approx(-5.0)
    assert mixer.estimate() < before  # the clips' limiting is seen
    for text in speech:
        assert float(np.max(np.abs(mixer.prepared(("speech", text))))) <= db_to_gain(-5.0)
    mixer.calibrate()
    assert mixer.estimate() == pytest.approx(-20.0, abs=0.1)
    track = np.concatenate(list(mixer.blocks()))
    assert float(np.max(np.abs(track))) <= db_to_gain(-5.0)
    assert integrated_loudness(track, SR) == pytest.approx(-20.0, abs=0.3)


def test_retune_aims_the_calibration_by_the_measured_error(demo):
    timeline, speech, _, _ = demo
    mixer = Mixer(timeline, speech, load_tones(), levels=MixLevels(track_lufs=-20.0))
    mixer.calibrate()
    mixer.retune(1.0)  # the decoded track measured 1 LU under the target
    mixer.calibrate()
    assert mixer.estimate() == pytest.approx(-19.0, abs=0.1)
    assert not mixer.at_loudest


def test_the_calibration_stops_at_the_top_of_its_range(tones):
    """Speech-like clips at -9 LUFS under a -2 dBFS ceiling would be crushed: the
    calibration stops at its top, short of the target, and says so."""
    timeline = _single([speech_event(0.5, "x", 2.0)], 3.0)
    speech = {"x": Clip(speech_like(2.0, -20, 3), SR)}
    mixer = Mixer(timeline, speech, tones, levels=MixLevels(track_lufs=-3.0))
    mixer.calibrate()
    assert mixer.at_loudest
    assert mixer.estimate() < -3.5


def test_sounds_meeting_for_longer_than_a_group_lasts_are_limited_as_mixed(tones, monkeypatch):
    """A chain of sounds that meet for longer than `_MAX_GROUP_SECONDS` is not one
    group (its mix would be held whole): it is limited block by block, and groups
    beside it still give the samples of the whole mix limited."""
    import voicecoach.audio.mixer as mixer_module

    timeline, speech = _mixed_timeline()
    levels = MixLevels(mix_peak_dbfs=-3.0)
    monkeypatch.setattr(mixer_module, "_MAX_GROUP_SECONDS", 2.0)  # lines 3+4 last 2.41 s
    short = Mixer(timeline, speech, tones, levels=levels)
    assert short._group_of.tolist() == [-1, 0, 0, -1, -1, -1]
    monkeypatch.setattr(Mixer, "_sound_groups", lambda self: ([], np.full(6, -1, np.int64)))
    together = np.concatenate(list(Mixer(timeline, speech, tones, levels=levels).blocks()))
    assert np.array_equal(np.concatenate(list(short.blocks(0.0, 1000))), together)
