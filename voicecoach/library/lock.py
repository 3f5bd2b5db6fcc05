"""One library build at a time per output folder: an flock on the folder itself.

A second build waits for the first (saying so) instead of failing. Worker processes are
forked while the lock is held, so they inherit its descriptor; each closes it first
thing (`close_inherited_locks`), so a SIGKILLed build releases the folder even while
its workers are still stopping.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from voicecoach.errors import VoiceCoachError

try:
    import fcntl
except ImportError:  # Windows: no lock
    fcntl = None  # type: ignore[assignment]

_HELD: set[int] = set()
"""Descriptors of the output-folder locks this process holds."""


@contextlib.contextmanager
def output_lock(out: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the folder OUT; if another build holds it, call
    ON_WAIT with a message and wait until it is released (Ctrl-C stops the wait)."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(out, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise VoiceCoachError(f"cannot lock the output folder {out}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(
                    f"another library build is writing to {out}; "
                    "waiting for it to finish (Ctrl-C to stop)"
                )
            fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD.add(fd)
        yield
    finally:
        _HELD.discard(fd)
        os.close(fd)


def close_inherited_locks() -> None:
    """In a forked worker: drop the copies of the parent's lock descriptors."""
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()
