"""Child processes that stop when their parent is gone, even if it was SIGKILLed.

Linux delivers a chosen signal to a child whose parent dies (PR_SET_PDEATHSIG); elsewhere,
and as a second line, a daemon thread polls the parent's pid.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
POLL_S = 0.5
"""How often the watch thread checks that the parent is still there."""


def die_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """Have the kernel send SIGNUM to this process when PARENT dies (Linux).

    Exits at once if PARENT is already gone (it may have died just before the request).
    Note: Linux sends it when the parent *thread* that forked us ends; fork from a
    thread that outlives the child (the main thread, or one that waits for it).
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError, TypeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def watch_parent(
    parent: int, on_orphaned: Callable[[], None] | None = None, grace: float = 0.0
) -> threading.Thread:
    """Start a daemon thread that, once PARENT is no longer this process's parent, calls
    ON_ORPHANED (e.g. to signal the main thread to clean up), waits up to GRACE seconds
    and exits."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_S)
        if on_orphaned is not None:
            on_orphaned()
        time.sleep(grace)
        os._exit(1)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
