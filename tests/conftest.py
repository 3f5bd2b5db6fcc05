"""Test-wide setup: Ctrl-C behaves as in a terminal, whoever started pytest.

A shell's background job or a CI launcher may start pytest with SIGINT ignored; child
processes inherit that, and the Ctrl-C tests would then test nothing. Python-level
handlers are reset to the default in children at exec, so installing Python's own
handler here gives every test, and every process it starts, a normal Ctrl-C.
"""

from __future__ import annotations

import signal


def pytest_configure(config) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
