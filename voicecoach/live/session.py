"""One `voicecoach play` session: clips → mixer → player → sink, with keys and status."""

from __future__ import annotations

import sys
from typing import TextIO

from voicecoach.audio.mixer import Mixer
from voicecoach.live.player import Player, PlayerState
from voicecoach.live.sinks import Sink
from voicecoach.live.terminal import KeyReader, StatusLine, describe, key_actions, signals_stop
from voicecoach.live.timing import exercise_count
from voicecoach.timeline.clock import clock


def play_session(
    mixer: Mixer,
    sink: Sink,
    start: float = 0.0,
    *,
    status: TextIO | None = None,
    keys: TextIO | None = None,
) -> PlayerState:
    """Play from START seconds until the end, `q` or Ctrl-C; the final state.

    STATUS (default stderr) gets the status line; keys are read from KEYS
    (default stdin) when it is a terminal. The terminal is restored on any exit.
    """
    status = sys.stderr if status is None else status
    keys = sys.stdin if keys is None else keys
    player = Player(mixer, sink, start=start)
    line = StatusLine(status, mixer.timeline.duration, exercise_count(mixer.timeline))
    try:
        with KeyReader(keys, key_actions(player)), signals_stop(player):
            return player.run(on_tick=line.update)
    finally:
        line.finish()


def summary(state: PlayerState, duration: float) -> str:
    """What to say when playback ends: "stopped at 3:12, exercise 2" or "finished"."""
    if state.stopped:
        return f"stopped at {clock(state.position)}, {describe(state)}"
    return f"finished ({clock(duration)})"
