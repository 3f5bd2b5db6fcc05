"""All-or-nothing output (temp files beside the targets, renamed only when all are done)
and the stop signals that must not break it."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from voicecoach.errors import AudioError, BuildInterrupted, VoiceCoachError

try:
    import fcntl
except ImportError:  # Windows: no locks, so no temp is ever taken for stale
    fcntl = None  # type: ignore[assignment]

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

TEMP_MARKER = ".tmp-"
"""Part of every temp file's name: ``.NAME.tmp-XXXXXXXX``."""
STALE_AFTER_S = 2.0
"""A temp file this old whose writer holds no lock on it is a killed build's leftover."""

_HELD: dict[Path, int] = {}
"""Temp files this process is writing -> the descriptor holding a lock on each."""
_HELD_LOCK = threading.Lock()


def temp_path_for(final: Path) -> Path:
    """Create an empty, hidden temp file next to FINAL (permissions as umask allows),
    locked while this process writes it (see `sweep_stale_temps`); release it with
    `commit_outputs` or `discard_temp`."""
    for _ in range(100):
        candidate = final.with_name(f".{final.name}{TEMP_MARKER}{secrets.token_hex(4)}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, 0o666)
        except FileExistsError:
            continue
        _lock(fd)
        with _HELD_LOCK:
            _HELD[candidate] = fd
        return candidate
    raise AudioError(f"cannot create a temporary file next to {final}")


def discard_temp(temp: Path) -> None:
    """Delete a temp file made by `temp_path_for` (if still there) and release it."""
    with contextlib.suppress(OSError):
        temp.unlink(missing_ok=True)
    _release(temp)


def sweep_stale_temps(final: Path) -> list[Path]:
    """Delete the temp files of FINAL that a killed build left (no live writer holds
    their lock); the paths deleted. Temps being written by running builds stay."""
    removed = []
    prefix = f".{final.name}{TEMP_MARKER}"  # then 8 hex digits (a regex compiled per file
    # held the GIL against a build's other threads: each stored phrase and level is one)
    try:
        candidates = [p for p in final.parent.iterdir() if _is_temp_name(p.name, prefix)]
    except OSError:
        return removed
    for path in candidates:
        with _HELD_LOCK:
            if path in _HELD:
                continue
        if _is_stale(path):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _is_temp_name(name: str, prefix: str) -> bool:
    """Whether NAME is PREFIX and 8 lower-case hex digits (`temp_path_for`'s names)."""
    tail = name[len(prefix) :]
    return name.startswith(prefix) and len(tail) == 8 and all(c in _HEX for c in tail)


_HEX = frozenset("0123456789abcdef")


def _is_stale(path: Path) -> bool:
    """A regular temp file, old enough, that nobody holds a lock on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | _CLOEXEC)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime < STALE_AFTER_S:
            return False
        return _try_lock(fd)
    finally:
        os.close(fd)


def _lock(fd: int) -> None:
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _try_lock(fd: int) -> bool:
    if fcntl is None:
        return False  # no way to tell a live writer: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _release(temp: Path) -> None:
    with _HELD_LOCK:
        fd = _HELD.pop(temp, None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


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


def check_target(final: Path) -> None:
    """AudioError unless FINAL is missing or a regular file (or a link to one)."""
    try:
        info = final.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise AudioError(f"cannot write {final}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise AudioError(f"cannot write {final}: it is {file_kind(info.st_mode)}, not a file")


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words ("a folder", "a device", ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a special file"


def commit_outputs(
    temps: dict[Path, Path], *, durable: bool = True, replace_special: bool = False
) -> None:
    """Move every finished temp file onto its final path, all or none.

    Each existing final is kept under a hidden name until every rename succeeded; if
    one fails, the finals already moved are put back as they were. Stop signals wait
    until the commit is over. The temps are fsynced first (and the folders after) when
    DURABLE. A final that is a device, FIFO or socket is refused unless REPLACE_SPECIAL
    (then the name is replaced; nothing is written into the special file).
    """
    if not replace_special:
        for final in temps:
            check_target(final)
    if durable:
        for temp in temps.values():
            _fsync_file(temp)
    with signals_deferred() as deferred:
        kept: dict[Path, Path | None] = {}
        moved: list[Path] = []
        try:
            for final, temp in temps.items():
                kept[final] = _keep_old(final)
                os.replace(temp, final)
                moved.append(final)
        except BaseException:
            _roll_back(kept, moved)
            raise
        finally:
            for temp in temps.values():
                _release(temp)
        for old in kept.values():
            if old is not None:
                discard_temp(old)
    if durable:
        for directory in {final.parent for final in temps}:
            _fsync_dir(directory)
    deferred.replay()


def _keep_old(final: Path) -> Path | None:
    """A second name for the file at FINAL (None if there is none), so it can be
    put back: a hard link where the file system has them, else the file moved there."""
    if not os.path.lexists(final):
        return None
    old = temp_path_for(final)  # a fresh hidden name of ours
    try:
        os.unlink(old)
        os.link(final, old, follow_symlinks=False)
    except OSError:
        os.replace(final, old)
    return old


def _roll_back(kept: dict[Path, Path | None], moved: list[Path]) -> None:
    """Put each final back as it was before the commit started."""
    for final, old in kept.items():
        with contextlib.suppress(OSError):
            if final not in moved:
                if old is not None:
                    discard_temp(old)  # the final itself was never touched
            elif old is None:
                final.unlink(missing_ok=True)
            else:
                os.replace(old, final)
                _release(old)


@contextlib.contextmanager
def atomic_outputs(
    finals: Sequence[Path], *, durable: bool = True, replace_special: bool = False
) -> Iterator[dict[Path, Path]]:
    """Yield a temp path for each final path; on success move them all into place at
    once (`commit_outputs`); on any exception (KeyboardInterrupt too) delete every temp,
    leaving earlier files under the final names untouched.

    Stale temps a killed build left beside the finals are removed first. Errors name
    the final files, never the temps.
    """
    temps: dict[Path, Path] = {}
    try:
        for final in finals:
            if not replace_special:
                check_target(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            sweep_stale_temps(final)
            temps[final] = temp_path_for(final)
        yield temps
        commit_outputs(temps, durable=durable, replace_special=replace_special)
    except OSError as exc:
        target = _final_for(exc.filename, temps) or "output"
        raise AudioError(f"cannot write {target}: {exc.strerror}") from exc
    except VoiceCoachError as exc:
        message = _with_final_names(exc.message, temps)
        if message == exc.message:
            raise
        raise type(exc)(message, exc.location) from exc
    finally:
        for temp in temps.values():
            discard_temp(temp)


def _final_for(filename: object, temps: dict[Path, Path]) -> str | None:
    """The final path the user named for FILENAME (a temp or a final), if any."""
    if filename is None:
        return None
    for final, temp in temps.items():
        if str(filename) in (str(temp), str(final)):
            return str(final)
    return str(filename)


def _with_final_names(message: str, temps: dict[Path, Path]) -> str:
    """MESSAGE with every temp path (or temp file name) replaced by its final one."""
    for final, temp in temps.items():
        message = message.replace(str(temp), str(final)).replace(temp.name, final.name)
    return message


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
