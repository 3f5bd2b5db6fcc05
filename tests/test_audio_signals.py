"""A stop signal that arrives while ffmpeg is starting is held, then acted on."""

from __future__ import annotations

import os
import signal

import pytest

from voicecoach.atomic import signals_deferred as _signals_deferred
from voicecoach.errors import BuildInterrupted


def test_ctrl_c_while_starting_is_replayed_afterwards():
    with _signals_deferred() as deferred:
        os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt right here
        reached = True
    assert reached and deferred.received == [signal.SIGINT]
    with pytest.raises(KeyboardInterrupt):
        deferred.replay()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_while_starting_becomes_build_interrupted():
    previous = signal.getsignal(signal.SIGTERM)
    with _signals_deferred() as deferred:
        os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(BuildInterrupted):
        deferred.replay()
    assert signal.getsignal(signal.SIGTERM) == previous


def test_nothing_to_replay_without_signals():
    with _signals_deferred() as deferred:
        pass
    deferred.replay()
    assert deferred.received == []


def test_sighup_while_starting_is_held_too():
    """SIGHUP (the terminal went away) stops the build once held; under nohup (SIGHUP
    ignored, as the tests may run) it stays ignored."""
    before = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        with _signals_deferred() as deferred:
            os.kill(os.getpid(), signal.SIGHUP)
        assert deferred.received == [signal.SIGHUP]
        with pytest.raises(BuildInterrupted, match="SIGHUP"):
            deferred.replay()
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        with _signals_deferred() as deferred:
            os.kill(os.getpid(), signal.SIGHUP)
        assert deferred.received == [signal.SIGHUP]
        deferred.replay()  # nothing: ignored before, ignored now
    finally:
        signal.signal(signal.SIGHUP, before)


def test_every_handler_is_restored_even_if_a_signal_lands_while_restoring():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with _signals_deferred():
        pass
    assert {s: signal.getsignal(s) for s in before} == before
