"""All-or-nothing output: temp files beside the targets, renamed only when all are done."""

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


@contextlib.contextmanager
def atomic_outputs(finals: Sequence[Path]) -> Iterator[dict[Path, Path]]:
    """Yield a temp path for each final path; on success fsync them all and move
    each into place; on any exception (KeyboardInterrupt too) delete every temp,
    leaving earlier files under the final names untouched."""
    temps: dict[Path, Path] = {}
    try:
        for final in finals:
            final.parent.mkdir(parents=True, exist_ok=True)
            temps[final] = temp_path_for(final)
        yield temps
        for temp in temps.values():
            _fsync_file(temp)
        for final, temp in temps.items():
            os.replace(temp, final)
        for directory in {final.parent for final in finals}:
            _fsync_dir(directory)
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


def sigterm_as_exception() -> contextlib.AbstractContextManager[None]:
    """Within the block, SIGTERM raises BuildInterrupted."""
    return signals_as_interrupt(signal.SIGTERM)
