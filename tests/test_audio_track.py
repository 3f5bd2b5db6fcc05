"""End to end: write real tracks with ffmpeg and read them back (timing, tags, levels)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from audio_helpers import (
    ISOLATED_TONES,
    SR,
    decode,
    demo_speech,
    demo_timeline,
    ebur128,
    ffprobe,
    onset,
    rms_db,
    speech_event,
    speech_like,
    tone_event,
)
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp3 import MP3

from voicecoach.audio import RenderAssembly, TrackFiles, load_tones, write_track
from voicecoach.audio.encode import mp3_length
from voicecoach.audio.sidecars import timeline_json_text
from voicecoach.speech.base import Clip
from voicecoach.timeline.model import Chapter, Timeline

pytestmark = pytest.mark.skipif(__import__("shutil").which("ffmpeg") is None, reason="needs ffmpeg")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo timeline written as MP3 (default tags), with progress reports."""
    out = tmp_path_factory.mktemp("mp3") / "week 1.mp3"
    reports: list[tuple[float, float]] = []
    timeline = demo_timeline()
    files = write_track(
        RenderAssembly(timeline, demo_speech(), load_tones()),
        out,
        progress=lambda done, total: reports.append((done, total)),
    )
    return timeline, files, reports, decode(files.track)


def test_writes_three_files_side_by_side(built):
    _, files, _, _ = built
    assert files == TrackFiles(
        files.track, files.track.with_suffix(".vtt"), files.track.with_suffix(".timeline.json")
    )
    assert files.track.name == "week 1.mp3" and files.timeline.name == "week 1.timeline.json"
    assert sorted(p.name for p in files.track.parent.iterdir()) == [
        "week 1.mp3",
        "week 1.timeline.json",
        "week 1.vtt",
    ]


def test_mp3_duration_matches_the_timeline(built):
    timeline, files, _, samples = built
    info = ffprobe(files.track)
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("mp3", "44100", 1)
    assert float(info["format"]["duration"]) == pytest.approx(timeline.duration, abs=0.05)
    assert MP3(files.track).info.length == pytest.approx(timeline.duration, abs=0.05)
    assert len(samples) / SR == pytest.approx(timeline.duration, abs=0.05)


def test_every_isolated_tone_starts_on_time(built):
    _, _, _, samples = built
    for tone, start in ISOLATED_TONES:
        assert onset(samples, start) == pytest.approx(start, abs=0.010), tone


def test_silence_where_nothing_is_scheduled(built):
    _, _, _, samples = built
    for lo, hi in [(0.0, 0.45), (2.55, 2.95), (4.15, 4.55), (11.2, 11.95)]:
        assert rms_db(samples[round(lo * SR) : round(hi * SR)]) < -50, (lo, hi)


def test_loudness_and_peak(built):
    _, files, _, _ = built
    integrated, peak = ebur128(files.track)
    assert integrated == pytest.approx(-16.0, abs=1.5)
    assert peak <= -1.0


def test_progress_is_reported_up_to_the_end(built):
    timeline, _, reports, _ = built
    assert len(reports) >= 2
    dones = [done for done, _ in reports]
    assert dones == sorted(dones)
    assert reports[-1][0] == pytest.approx(reports[-1][1])
    assert reports[-1][1] == pytest.approx(timeline.duration, abs=0.05)


def test_id3_tags_and_chapters(built):
    timeline, files, _, _ = built
    tags = ID3(files.track)
    assert tags.version[:2] == (2, 3)
    assert str(tags["TIT2"]) == "Hip stability, week 1"
    assert str(tags["TALB"]) == "Hip stability, week 1"
    assert str(tags["TPE1"]) == "voicecoach"
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [c.element_id for c in chapters] == ["chp0", "chp1", "chp2"]
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == [c.title for c in timeline.chapters]
    assert [c.start_time for c in chapters] == [0, 3000, 8000]
    assert [c.end_time for c in chapters][:2] == [3000, 8000]
    assert chapters[-1].end_time == pytest.approx(12000, abs=50)
    (toc,) = tags.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert list(toc.child_element_ids) == ["chp0", "chp1", "chp2"]
    # ffmpeg lists chapters in frame order: the CHAP frames are in time order too.
    probed = ffprobe(files.track)["chapters"]
    assert [c["tags"]["title"] for c in probed] == [c.title for c in timeline.chapters]
    assert [float(c["start_time"]) for c in probed] == [c.start for c in timeline.chapters]


def _parse_vtt(text: str) -> list[tuple[str, str, str]]:
    assert text.startswith("WEBVTT\n\n")
    cues = []
    for block in text.split("\n\n")[1:]:
        lines = block.strip("\n").splitlines()
        if not lines:
            continue
        timing = next(i for i, line in enumerate(lines) if "-->" in line)
        start, end = re.fullmatch(r"(\S+) --> (\S+)", lines[timing]).groups()
        cues.append((start, end, "\n".join(lines[timing + 1 :])))
    return cues


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = re.fullmatch(r"(\d\d):(\d\d):(\d\d\.\d\d\d)", stamp).groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_vtt_has_one_cue_per_speech_event(built):
    timeline, files, _, _ = built
    cues = _parse_vtt(files.captions.read_text(encoding="utf-8"))
    speech = timeline.speech()
    assert len(cues) == len(speech)
    for (start, end, text), event in zip(cues, speech, strict=True):
        assert _seconds(start) == pytest.approx(event.start, abs=0.0005)
        assert _seconds(end) == pytest.approx(event.end, abs=0.0005)
        unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert unescaped == event.text
    assert "Hold it &amp; breathe &lt;calmly&gt;." in files.captions.read_text(encoding="utf-8")


def test_timeline_json_sidecar(built):
    timeline, files, _, _ = built
    assert files.timeline.read_text(encoding="utf-8") == timeline_json_text(timeline)


@pytest.mark.parametrize("fmt", ["m4a", "ogg", "wav"])
def test_other_formats(tmp_path, fmt):
    timeline = demo_timeline()
    files = write_track(
        RenderAssembly(timeline, demo_speech(), load_tones()),
        tmp_path / f"track.{fmt}",
        format=fmt,
        title="Custom title",
        album="Clinic",
        artist="Physio",
    )
    info = ffprobe(files.track)
    assert float(info["format"]["duration"]) == pytest.approx(timeline.duration, abs=0.05)
    samples = decode(files.track)
    assert len(samples) / SR == pytest.approx(timeline.duration, abs=0.05)
    for tone, start in ISOLATED_TONES:
        assert onset(samples, start) == pytest.approx(start, abs=0.010), tone
    tags = {**info["format"].get("tags", {}), **info["streams"][0].get("tags", {})}
    tags = {k.lower(): v for k, v in tags.items()}
    assert (tags["title"], tags["album"], tags["artist"]) == ("Custom title", "Clinic", "Physio")
    if fmt != "wav":  # RIFF has no chapters
        titles = [c["tags"]["title"] for c in info["chapters"]]
        assert titles == [c.title for c in timeline.chapters]
    integrated, peak = ebur128(files.track)
    assert integrated == pytest.approx(-16.0, abs=1.5)
    assert peak <= -1.0


def test_two_loud_sounds_overlapping_do_not_clip(tmp_path):
    text = "Lower slowly."
    loud = Clip(speech_like(3.0, 0.0, 9), SR)
    events = [speech_event(0.5, text, 3.0)]
    events += [tone_event(0.6 + 0.2 * i, tone) for i, tone in enumerate(["up", "down"] * 6)]
    events.append(tone_event(2.0, "side"))
    events.sort(key=lambda e: e.start)
    timeline = Timeline("Overlap", 4.0, (Chapter("all", 0.0, 4.0),), tuple(events))
    files = write_track(
        RenderAssembly(timeline, {text: loud}, load_tones()), tmp_path / "overlap.mp3"
    )
    samples = decode(files.track)
    assert 20 * np.log10(np.max(np.abs(samples))) <= -1.0
    assert ebur128(files.track)[1] <= -1.0


@pytest.mark.parametrize("samples", [SR * 7, SR * 7 + 100, SR * 7 + 600, SR * 7 + 1151])
def test_mp3_length_keeps_frame_count_estimates_close(tmp_path, samples):
    """ffprobe and mutagen estimate an MP3's length from its frame count."""
    duration = samples / SR
    timeline = Timeline("t", duration, (Chapter("all", 0.0, duration),), ())
    files = write_track(RenderAssembly(timeline, {}, load_tones()), tmp_path / "silence.mp3")
    estimate = float(ffprobe(files.track)["format"]["duration"])
    assert estimate == pytest.approx(duration, abs=0.041)
    assert len(decode(files.track)) == mp3_length(samples)
    assert samples - mp3_length(samples) <= 0.0125 * SR


def test_a_rebuild_of_the_same_track_reads_its_measurement(tmp_path, monkeypatch):
    """With a store (the phrase cache's levels/), the encoded file's loudness and true
    peak are kept by its bytes: building the same track again writes the same bytes
    without decoding them to measure."""
    import voicecoach.audio.measure as measure

    decodes = []
    real = measure.measure_output
    monkeypatch.setattr(measure, "measure_output", lambda path: decodes.append(path) or real(path))
    timeline = demo_timeline()
    tracks, counts = [], []
    for name in ("first.mp3", "again.mp3"):
        assembly = RenderAssembly(
            timeline, demo_speech(), load_tones(), levels_dir=tmp_path / "levels"
        )
        tracks.append(write_track(assembly, tmp_path / name).track.read_bytes())
        counts.append(len(decodes))
    assert tracks[0] == tracks[1]
    assert counts[0] >= 1 and counts[1] == counts[0]  # the rebuild decoded nothing
