"""The player on the virtual clock (a null sink): pause, skip, seek and state, exactly."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from test_live_support import tiny, tiny_mixer, tiny_track

from voicecoach.live import NullSink, Player
from voicecoach.live.player import BLOCK_SAMPLES, RESTART_AFTER

SR = 44100


def player(start: float = 0.0) -> tuple[Player, NullSink]:
    sink = NullSink(keep=True)
    return Player(tiny_mixer(), sink, start=start), sink


def play_until(p: Player, frame: int) -> None:
    """Step until at least ``frame`` frames into the track have been heard."""
    while p.frame < frame:
        assert p.step(), "the track ended first"


def test_block_is_about_a_tenth_of_a_second():
    assert 0.05 <= BLOCK_SAMPLES / SR <= 0.1


def test_plays_the_whole_track_exactly():
    p, sink = player()
    state = p.run()
    assert state.finished and not state.stopped
    assert np.array_equal(sink.samples(), tiny_track())
    assert p.frame == len(tiny_track())


def test_position_follows_the_sink_clock_block_by_block():
    p, sink = player()
    for blocks in range(1, 6):
        p.step()
        assert sink.frames_played == p.frame == blocks * BLOCK_SAMPLES
    assert p.position == pytest.approx(5 * BLOCK_SAMPLES / SR)


def test_pause_stops_at_once_and_resume_continues_seamlessly():
    p, sink = player()
    play_until(p, 7 * SR)
    paused_at = p.frame
    p.pause()
    for _ in range(50):  # virtual time passes; nothing is written
        assert p.step()
    assert p.frame == paused_at == sink.frames_played  # latency: 0 blocks
    assert p.state().paused
    p.resume()
    p.run()
    assert np.array_equal(sink.samples(), tiny_track())  # pausing changed nothing heard


def test_toggle_pause_twice_is_a_resume():
    p, _ = player()
    p.step()
    p.toggle_pause()
    p.step()
    assert p.state().paused
    p.toggle_pause()
    p.step()
    assert not p.state().paused and p.frame == 2 * BLOCK_SAMPLES


@pytest.mark.parametrize("chapter", [1, 2])
def test_next_lands_exactly_on_the_next_chapter(chapter):
    session = tiny()
    p, sink = player()
    play_until(p, session.chapter_frame(chapter) - 2 * SR)
    before = sink.frames_played
    p.next_chapter()
    p.step()
    assert p.state().chapter == chapter
    assert p.frame == session.chapter_frame(chapter) + BLOCK_SAMPLES
    start = session.chapter_frame(chapter)
    heard = sink.samples()[before:]
    assert np.array_equal(heard, tiny_track()[start : start + len(heard)])


def test_next_from_the_last_chapter_ends():
    session = tiny()
    last = len(session.timeline.chapters) - 1
    p, _ = player(start=session.timeline.chapters[last].start)
    p.step()
    p.next_chapter()
    assert not p.step()
    state = p.state()
    assert state.finished and not state.stopped and p.frame == len(tiny_track())


def test_previous_late_in_a_chapter_restarts_it():
    session = tiny()
    p, _ = player()
    play_until(p, session.chapter_frame(2) + round((RESTART_AFTER + 0.5) * SR))
    p.previous_chapter()
    p.step()
    assert p.frame - BLOCK_SAMPLES == session.chapter_frame(2)


def test_previous_early_in_a_chapter_goes_back_one():
    session = tiny()
    p, _ = player()
    play_until(p, session.chapter_frame(2) + SR)
    p.previous_chapter()
    p.step()
    assert p.frame - BLOCK_SAMPLES == session.chapter_frame(1)
    p.previous_chapter()  # pressed again right away: one more back
    p.step()
    assert p.frame - BLOCK_SAMPLES == session.chapter_frame(0) == 0
    p.previous_chapter()  # at the very start it stays there
    p.step()
    assert p.frame == BLOCK_SAMPLES


def test_seek_chapter_and_seek_time():
    session = tiny()
    p, sink = player()
    p.seek_chapter(3)
    p.step()
    assert p.frame == session.chapter_frame(3) + BLOCK_SAMPLES
    p.seek(10.0)
    p.step()
    assert p.frame == 10 * SR + BLOCK_SAMPLES
    assert np.array_equal(sink.samples()[-BLOCK_SAMPLES:], tiny_track()[10 * SR :][:BLOCK_SAMPLES])
    p.seek_chapter(99)  # clamped to the last chapter
    p.step()
    assert p.state().chapter == len(session.timeline.chapters) - 1


def test_seek_while_paused_stays_paused_at_the_new_place():
    session = tiny()
    p, _ = player()
    p.step()
    p.pause()
    p.next_chapter()
    p.step()
    state = p.state()
    assert state.paused and state.frame == session.chapter_frame(1)
    p.resume()
    p.step()
    assert p.frame == session.chapter_frame(1) + BLOCK_SAMPLES


def test_start_offset_is_sample_exact():
    session = tiny()
    start = session.timeline.chapters[2].start
    p, sink = player(start=start)
    p.run()
    assert np.array_equal(sink.samples(), tiny_track()[session.chapter_frame(2) :])


def test_stop_ends_cleanly_and_says_where():
    p, sink = player()
    play_until(p, 12 * SR)
    p.stop()
    assert not p.step()
    state = p.state()
    assert state.stopped and state.finished
    assert state.frame == sink.frames_played
    p.pause()  # controls after the end are ignored
    assert not p.step()


def test_state_names_the_chapter_exercise_and_what_is_said():
    session = tiny()
    timeline = session.timeline
    phrase = next(e for e in timeline.speech() if e.exercise == 1)
    p, _ = player(start=phrase.start + 0.05)
    p.open()
    state = p.state()
    assert state.chapter_title == "Hold" and state.exercise == 2
    assert state.said == phrase and state.event == phrase
    intro = player()[0].state()
    assert intro.exercise is None and intro.chapter == 0


def test_said_stays_within_the_chapter():
    session = tiny()
    p, _ = player(start=session.timeline.chapters[1].start)
    p.open()
    first = next(e for e in session.timeline.speech() if e.exercise == 0)
    state = p.state()
    assert state.said is None or state.said.exercise == 0
    assert first.start >= session.timeline.chapters[1].start


def test_controls_from_another_thread_are_taken_between_blocks():
    p, sink = player()
    p.step()
    threads = [threading.Thread(target=p.next_chapter) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    p.step()
    assert p.state().chapter == 2  # both skips applied, in order, before the block


def test_wav_like_sinks_get_no_silence_while_paused():
    p, sink = player()
    play_until(p, 3 * SR)
    p.pause()
    written = len(sink.samples())
    for _ in range(10):
        p.step()
    assert len(sink.samples()) == written
