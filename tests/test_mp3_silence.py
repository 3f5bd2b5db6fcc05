"""Leaving a track's silence out of the encoder's input (`audio/mp3_silence`): the cuts,
the mapping between the track and the encoder's input, and the blocks the encoder is fed.
Putting the silence back into real MP3s is in test_mp3_silence_e2e.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicecoach.audio.mp3_silence import (
    FRAME,
    KEEP_AFTER,
    KEEP_BEFORE,
    MIN_CUT,
    Cut,
    NotSilent,
    Shortened,
    plan_cuts,
)


@st.composite
def tracks(draw) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A track of sound and silence (float32) and its quiet spans, in sample order."""
    parts, spans, pos = [], [], 0
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            n = draw(st.integers(1, 30 * FRAME))
            parts.append(np.zeros(n, dtype=np.float32))
            spans.append((pos, pos + n))
        else:
            n = draw(st.integers(1, 3 * FRAME))
            rng = np.random.default_rng(n)
            parts.append((rng.uniform(-0.5, 0.5, n) + 0.6).astype(np.float32))  # never 0
        pos += n
    return np.concatenate(parts), spans


def block_source(track: np.ndarray, size: int):
    """``blocks(start, stop)`` over TRACK in blocks of SIZE samples, as the encoder's
    `_span` gives them."""

    def blocks(start: int, stop: int):
        for pos in range(start, stop, size):
            yield track[pos : min(pos + size, stop)]

    return blocks


def test_cuts_leave_silence_on_both_sides():
    quiet = [(100, 100 + 20 * FRAME), (30 * FRAME, 40 * FRAME), (50 * FRAME, 90 * FRAME)]
    cuts = plan_cuts(80 * FRAME + 7, quiet)
    assert cuts == (
        Cut(1 + KEEP_BEFORE, 19 - KEEP_BEFORE - KEEP_AFTER),  # whole frames 1-19
        Cut(30 + KEEP_BEFORE, 10 - KEEP_BEFORE - KEEP_AFTER),
        # the last span runs past the track's end: cut up to its last whole frame
        Cut(50 + KEEP_BEFORE, 30 - KEEP_BEFORE - KEEP_AFTER),
    )


def test_short_silences_are_kept_whole():
    short = KEEP_BEFORE + KEEP_AFTER + MIN_CUT - 1
    assert plan_cuts(100 * FRAME, [(0, short * FRAME), (50 * FRAME, 50 * FRAME + 1000)]) == ()
    assert plan_cuts(100 * FRAME, [(0, (short + 1) * FRAME)]) == (Cut(KEEP_BEFORE, MIN_CUT),)


@given(tracks(), st.integers(1, 5000), st.data())
def test_the_encoder_is_fed_the_track_without_its_cuts(case, size, data):
    track, quiet = case
    shortened = Shortened(len(track), plan_cuts(len(track), quiet))
    kept = np.ones(len(track), dtype=bool)
    for cut in shortened.cuts:
        kept[cut.frame * FRAME : (cut.frame + cut.frames) * FRAME] = False
        assert not track[cut.frame * FRAME : (cut.frame + cut.frames) * FRAME].any()
    expected = track[kept]
    assert shortened.encoded == len(expected)
    start = data.draw(st.integers(0, len(expected)))
    stop = data.draw(st.integers(start, len(expected)))
    blocks = list(shortened.blocks(block_source(track, size), start, stop))
    fed = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    assert np.array_equal(fed, expected[start:stop])
    # the two mappings: every kept sample there and back; a cut's samples at its place
    track_index = np.flatnonzero(kept)
    for e in data.draw(st.lists(st.integers(0, max(0, len(expected) - 1)), max_size=5)):
        if len(expected):
            assert shortened.to_track(e) == track_index[e]
            assert shortened.to_encoded(int(track_index[e])) == e
    assert shortened.to_encoded(len(track)) == len(expected)


def test_a_cut_that_is_not_silent_is_refused():
    track = np.zeros(40 * FRAME, dtype=np.float32)
    track[:100] = 0.5
    shortened = Shortened(len(track), plan_cuts(len(track), [(100, len(track))]))
    assert shortened.cuts
    track[shortened.cuts[0].frame * FRAME + 5] = 1e-6  # the mix said silence
    with pytest.raises(NotSilent, match="not silent"):
        list(shortened.blocks(block_source(track, 4096), 0, shortened.encoded))


def test_quiet_spans_map_to_what_is_left_of_them():
    shortened = Shortened(100 * FRAME, plan_cuts(100 * FRAME, [(10 * FRAME, 30 * FRAME)]))
    assert shortened.quiet([(10 * FRAME, 30 * FRAME), (50 * FRAME, 60 * FRAME)]) == [
        (10 * FRAME, (10 + KEEP_BEFORE + KEEP_AFTER) * FRAME),
        (35 * FRAME, 45 * FRAME),  # 15 frames left out before it
    ]
