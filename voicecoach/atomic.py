"""All-or-nothing output (temp files beside the targets, renamed only when all are done)
and the stop signals that must not break it."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from voicecoach.errors import AudioError, BuildInterrupted

TEMP_MARKER = ".tmp-"
"""Part of every temp file's name: ``.NAME.tmp-XXXXXXXX``."""


def temp_path_for(final: Path) -> Path:
    """Create an empty, hidden temp file next to ``final`` (permissions as umask allows)."""
    for _ in range(100):
        candidate = final.with_name(f".{final.name}{TEMP_MARKER}{secrets.token_hex(4)}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise AudioError(f"cannot create a temporary file next to {final}")


def _fsync_file(path: Path) -> None:
    """Flush a file's contents to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    """Flush a directory entry (renames) to disk where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def commit_outputs(temps: dict[Path, Path], *, durable: bool = True) -> None:
    """Move each finished temp file onto its final path (fsynced first when DURABLE)."""
    if durable:
        for temp in temps.values():
            _fsync_file(temp)
    for final, temp in temps.items():
        os.replace(temp, final)
    if durable:
        for directory in {final.parent for final in temps}:
            _fsync_dir(directory)


@contextlib.contextmanager
def atomic_outputs(finals: Sequence[Path], *, durable: bool = True) -> Iterator[dict[Path, Path]]:
    """Yield a temp path for each final path; on success move each into place
    (fsynced when DURABLE); on any exception (KeyboardInterrupt too) delete every
    temp, leaving earlier files under the final names untouched."""
    temps: dict[Path, Path] = {}
    try:
        for final in finals:
            final.parent.mkdir(parents=True, exist_ok=True)
            temps[final] = temp_path_for(final)
        yield temps
        commit_outputs(temps, durable=durable)
    except OSError as exc:
        raise AudioError(f"cannot write {exc.filename or 'output'}: {exc.strerror}") from exc
    finally:
        for temp in temps.values():
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)


@contextlib.contextmanager
def signals_as_interrupt(*signums: int) -> Iterator[None]:
    """Within the block, each of SIGNUMS raises BuildInterrupted (so cleanup code runs);
    the previous handlers are restored afterwards. A no-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        raise BuildInterrupted(f"interrupted by {name}; no partial files were left")

    previous = {signum: signal.signal(signum, interrupt) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals that stop a build."""
TERMINATION_SIGNALS = tuple(s for s in STOP_SIGNALS if s != signal.SIGINT)
"""Stop signals Python does not already turn into KeyboardInterrupt."""


class _DeferredSignals:
    """Stop signals (Ctrl-C, SIGTERM, SIGHUP) held back while a child starts, then re-delivered."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.previous: dict[int, object] = {}

    def hold(self, signum: int, frame: object) -> None:
        self.received.append(signum)

    def replay(self) -> None:
        """Run the original handler of each signal that arrived while held."""
        for signum in self.received:
            handler = self.previous.get(signum)
            if handler == signal.SIG_IGN:
                continue
            if callable(handler):
                handler(signum, None)
            elif signum == signal.SIGINT:
                raise KeyboardInterrupt
            else:
                name = signal.Signals(signum).name
                raise BuildInterrupted(f"stopped by {name}; no partial files were left")


@contextlib.contextmanager
def signals_deferred() -> Iterator[_DeferredSignals]:
    """Within the block, stop signals are recorded instead of acted on (main thread).

    Handlers are put back with the signals blocked, so one arriving mid-way waits until
    every handler is restored instead of leaving another one held for good.
    """
    deferred = _DeferredSignals()
    if threading.current_thread() is not threading.main_thread():
        yield deferred
        return
    for signum in STOP_SIGNALS:
        deferred.previous[signum] = signal.signal(signum, deferred.hold)
    try:
        yield deferred
    finally:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for signum, handler in deferred.previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
