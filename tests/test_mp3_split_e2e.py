"""End to end: MP3 builds encoded by several ffmpeg processes at once and joined
(`audio/split_encode`) are the file one ffmpeg writes, read back with ffmpeg, ffprobe and
mutagen; joins in silence, in music, and ones that cannot be made exact."""

from __future__ import annotations

import numpy as np
import pytest
from audio_helpers import SR, decode, ffprobe, speech_event, speech_like, tone_event
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from voicecoach.audio import RenderAssembly, load_tones, split_encode, write_track
from voicecoach.audio import encode as encode_module
from voicecoach.audio.encode import mp3_length
from voicecoach.audio.music import MusicBed, MusicSettings
from voicecoach.speech.base import Clip
from voicecoach.timeline.model import Chapter, Timeline

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(__import__("shutil").which("ffmpeg") is None, reason="needs ffmpeg"),
]

DURATION = 95.0137  # not a whole number of frames: the track's end is trimmed and faded


def long_timeline() -> tuple[Timeline, dict[str, Clip]]:
    """95 s: a line and two tones every 5 s, a 6 s rest in the middle, four chapters."""
    texts = [f"Line {i}." for i in range(4)]
    speech = {t: Clip(speech_like(2.0 + 0.3 * i, -12.0, i), SR) for i, t in enumerate(texts)}
    events = []
    t = 0.4
    while t < DURATION - 4:
        if not 44.0 < t < 50.0:
            text = texts[int(t) % 4]
            events.append(speech_event(t, text, len(speech[text].samples) / SR, exercise=0))
            events.append(tone_event(t + 3.0, "up", exercise=0))
            events.append(tone_event(t + 3.7, "down", exercise=0))
        t += 5.0
    chapters = (
        Chapter("Introduction", 0.0, 10.0),
        Chapter("First", 10.0, 47.0, exercise=0),
        Chapter("Second", 47.0, 90.0, exercise=1),
        Chapter("Well done", 90.0, DURATION),
    )
    events.sort(key=lambda e: e.start)
    return Timeline("Split", DURATION, chapters, tuple(events)), speech


def build(tmp_path, name: str, encoders: int, monkeypatch, music=None):
    """The long timeline written as NAME.mp3 by up to ENCODERS ffmpeg processes."""
    timeline, speech = long_timeline()
    monkeypatch.setattr(encode_module, "encoders", lambda: encoders)
    assembly = RenderAssembly(timeline, speech, load_tones(), music=music)
    return timeline, write_track(assembly, tmp_path / f"{name}.mp3").track


def encoders_started(monkeypatch) -> list[int]:
    """Records how many segments each split encode started with."""
    started: list[int] = []
    real = split_encode.encode_split

    def spy(command, out, segments, *args, **kwargs):
        started.append(len(segments))
        return real(command, out, segments, *args, **kwargs)

    monkeypatch.setattr(encode_module, "encode_split", spy)
    return started


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The long timeline encoded by one ffmpeg (the reference)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _, track = build(tmp_path_factory.mktemp("single"), "single", 1, monkeypatch)
    return track


def test_a_split_build_is_the_file_one_encoder_writes(tmp_path, monkeypatch, single):
    # its silence left out, the 95 s track is 56 s of encoder input: 3 parts of 18 s
    monkeypatch.setattr(split_encode, "MIN_SEGMENT_SECONDS", 15.0)
    started = encoders_started(monkeypatch)
    timeline, track = build(tmp_path, "split", 3, monkeypatch)
    assert started and set(started) == {3}  # each encode (loudness may ask for a second)
    assert track.read_bytes() == single.read_bytes()
    samples = decode(track)
    assert len(samples) == mp3_length(round(DURATION * SR))
    decoded = len(samples) / SR
    assert 0 <= MP3(track).info.length - decoded <= 0.040  # frame-count estimate
    assert abs(float(ffprobe(track)["format"]["duration"]) - decoded) <= 0.040
    id3 = ID3(track)
    assert [str(id3[f"CHAP:chp{i}"].sub_frames["TIT2"]) for i in range(4)] == [
        c.title for c in timeline.chapters
    ]
    assert str(id3["TIT2"]) == "Split" and str(id3["TLEN"]) == str(round(decoded * 1000))


def test_joins_are_in_silence_and_silent_when_nothing_is_left_out(tmp_path, monkeypatch):
    # a track's silence is left out of the encoders' input (test_mp3_silence_e2e): what
    # is left of a quiet span is too short for a join; with nothing left out, the
    # joins move into the silence
    monkeypatch.setattr(encode_module, "plan_cuts", lambda length, quiet: ())
    joins: list[int] = []
    real = split_encode.encode_split

    def spy(command, out, segments, *args, **kwargs):
        joins.extend(s.first for s in segments[1:])
        return real(command, out, segments, *args, **kwargs)

    monkeypatch.setattr(encode_module, "encode_split", spy)
    _, track = build(tmp_path, "silent", 2, monkeypatch)
    join = joins[0]
    assert set(joins) == {join}
    samples = decode(track)
    at = join * split_encode.FRAME
    assert 44.0 * SR < at < 50.0 * SR  # the rest in the middle
    assert np.all(samples[at - 5000 : at + 5000] == 0.0)
    assert np.max(np.abs(samples[: 40 * SR])) > 0.1


def test_joins_in_music_are_exact_too(tmp_path, monkeypatch):
    timeline, _ = long_timeline()
    t = np.arange(40 * SR) / SR
    source = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 331 * t)).astype(
        np.float32
    )
    bed = MusicBed.for_timeline(source, timeline, MusicSettings(tmp_path / "x.ogg"), SR)
    _, one = build(tmp_path, "music-one", 1, monkeypatch, music=bed)
    started = encoders_started(monkeypatch)
    _, two = build(tmp_path, "music-two", 2, monkeypatch, music=bed)
    assert started and set(started) == {2}  # no silence: the join is in the music
    assert two.read_bytes() == one.read_bytes()


def test_a_join_that_is_not_exact_falls_back_to_one_encoder(tmp_path, monkeypatch, single):
    real = split_encode.plan_segments

    def off_period(length, parts, period, quiet=(), sample_rate=SR):
        segments = real(length, parts, period, quiet, sample_rate)
        # the second encoder starts a frame off the padding period: it pads other frames
        second = segments[1]
        moved = split_encode.Segment(second.start + 1, second.first, second.stop, second.end)
        return [segments[0], moved]

    monkeypatch.setattr(encode_module, "plan_segments", off_period)
    failures: list[str] = []
    real_join = split_encode.join_frames

    def spy(*args):
        try:
            return real_join(*args)
        except split_encode.NotJoined as exc:
            failures.append(str(exc))
            raise

    monkeypatch.setattr(split_encode, "join_frames", spy)
    _, track = build(tmp_path, "fallback", 2, monkeypatch)
    assert failures and "differ" in failures[0]
    assert track.read_bytes() == single.read_bytes()


def test_short_tracks_use_one_encoder(tmp_path, monkeypatch):
    from audio_helpers import demo_assembly

    started = encoders_started(monkeypatch)
    monkeypatch.setattr(encode_module, "encoders", lambda: 4)
    track = write_track(demo_assembly(), tmp_path / "short.mp3").track
    assert started == [] and len(decode(track)) == mp3_length(12 * SR)
