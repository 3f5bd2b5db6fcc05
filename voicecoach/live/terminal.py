"""The terminal side of `voicecoach play`: single-key controls and a status line."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TextIO

from voicecoach.live.player import Player, PlayerState
from voicecoach.printable import printable
from voicecoach.timeline.clock import clock


def key_actions(player: Player) -> dict[str, Callable[[], None]]:
    """What each key does (arrow keys arrive as escape sequences)."""
    return {
        " ": player.toggle_pause,
        "n": player.next_chapter,
        "\x1b[C": player.next_chapter,
        "p": player.previous_chapter,
        "\x1b[D": player.previous_chapter,
        "q": player.stop,
        "\x03": player.stop,
    }


def split_keys(data: str) -> list[str]:
    """Keys in a chunk read from the terminal: escape sequences kept whole."""
    keys: list[str] = []
    i = 0
    while i < len(data):
        if data.startswith("\x1b[", i) and i + 2 < len(data):
            keys.append(data[i : i + 3])
            i += 3
        else:
            keys.append(data[i].lower())
            i += 1
    return keys


class KeyReader:
    """Reads keys from a terminal on a background thread while in use (a no-op
    unless ``stream`` is a TTY). The terminal is in cbreak mode meanwhile, so
    Ctrl-C still interrupts, and its settings are restored on exit."""

    def __init__(self, stream: TextIO, actions: Mapping[str, Callable[[], None]]) -> None:
        self.actions = actions
        self.fd: int | None = None
        with contextlib.suppress(AttributeError, OSError, ValueError):
            if stream.isatty():
                self.fd = stream.fileno()
        self._saved: Any = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> KeyReader:
        if self.fd is None:
            return self
        import termios
        import tty

        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        self._thread = threading.Thread(target=self._read, name="voicecoach-keys", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(1.0)
        if self._saved is not None and self.fd is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def _read(self) -> None:
        assert self.fd is not None
        while not self._done.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                continue
            data = os.read(self.fd, 64).decode("utf-8", "replace")
            if not data:
                return
            for key in split_keys(data):
                action = self.actions.get(key)
                if action is not None:
                    action()


@contextlib.contextmanager
def signals_stop(player: Player) -> Iterator[None]:
    """Within the block, Ctrl-C (SIGINT) and SIGTERM stop the player cleanly; a second
    Ctrl-C raises KeyboardInterrupt. A no-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 0

    def stop(signum: int, frame: object) -> None:
        nonlocal presses
        presses += 1
        if presses > 1 and signum == signal.SIGINT:
            raise KeyboardInterrupt
        player.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def describe(state: PlayerState) -> str:
    """Where STATE is, in words: "exercise 2" or the chapter's title."""
    return f"exercise {state.exercise}" if state.exercise else state.chapter_title


def format_status(state: PlayerState, duration: float, exercises: int) -> str:
    """The one-line status: play/pause, time, chapter, the latest phrase."""
    mark = "‖" if state.paused else "▶"
    where = state.chapter_title
    if state.exercise:
        where = f"{state.exercise}/{exercises} {where}"
    line = f"{mark} {clock(state.position)} / {clock(duration)}  {where}"
    if state.said is not None and state.said.text:
        line += f'  "{state.said.text}"'
    return printable(line)


class StatusLine:
    """Keeps the status on one rewritten line of a TTY; elsewhere (a pipe, a log) it
    prints a line only when the chapter changes."""

    def __init__(self, stream: TextIO, duration: float, exercises: int) -> None:
        self.stream = stream
        self.duration = duration
        self.exercises = exercises
        self.tty = _isatty(stream)
        self._shown: str | None = None
        self._chapter: int | None = None
        self._dirty = False

    def update(self, player: Player) -> None:
        """Show PLAYER's state if it changed (``Player.run``'s ``on_tick``)."""
        state = player.state()
        if self.tty:
            line = format_status(state, self.duration, self.exercises)
            width = shutil.get_terminal_size((80, 24)).columns - 1
            line = line if len(line) <= width else line[: max(0, width - 1)] + "…"
            if line != self._shown:
                self.stream.write("\r" + line + "\x1b[K")
                self.stream.flush()
                self._shown = line
                self._dirty = True
        elif state.chapter != self._chapter:
            self._chapter = state.chapter
            where = f"{state.exercise}/{self.exercises} " if state.exercise else ""
            title = printable(state.chapter_title)
            self.stream.write(f"{clock(state.position)}  {where}{title}\n")
            self.stream.flush()

    def finish(self) -> None:
        """End the status line so what follows starts on a fresh line."""
        if self.tty and self._dirty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._dirty = False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
