"""Test-wide setup: Ctrl-C behaves as in a terminal, whoever started pytest; whole
modules that build many real tracks or play in real time count as e2e; the inner loop
(`pytest -m "not e2e"`) runs property tests with fewer examples (hypothesis_helpers.py).

A shell's background job or a CI launcher may start pytest with SIGINT ignored; child
processes inherit that, and the Ctrl-C tests would then test nothing. Python-level
handlers are reset to the default in children at exec, so installing Python's own
handler here gives every test, and every process it starts, a normal Ctrl-C.
"""

from __future__ import annotations

import signal

import pytest
from hypothesis_helpers import load_profile

E2E_MODULES = frozenset(
    {
        "test_audio_track.py",  # real tracks in every format, read back with ffmpeg
        "test_library_build.py",  # library builds of real MP3s in worker processes
        "test_library_interrupt.py",  # signals to whole library builds
        "test_live_cli.py",  # play sessions end to end
        "test_live_device.py",  # playback on a real (PulseAudio) device in real time
    }
)
"""Modules whose every test is marked e2e, so `pytest -m "not e2e"` stays quick."""


def pytest_configure(config) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if config.getoption("hypothesis_profile", None) is None:
        load_profile(config.option.markexpr)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.path.name in E2E_MODULES:
            item.add_marker(pytest.mark.e2e)
