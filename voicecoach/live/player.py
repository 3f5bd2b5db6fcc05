"""The live player: streams the rendered track to a sink, with pause, skip and seek.

Controls are thread-safe commands, applied by the playing thread between blocks
(a block is ~93 ms), so the audio never changes under a block being written.
Every position is counted in frames of the track; the clock is the sink's
``frames_played``, never the wall clock. ``step()`` advances one block so tests
drive the player deterministically with a null sink: a virtual clock.
"""

from __future__ import annotations

import bisect
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from voicecoach.audio.mixer import Mixer
from voicecoach.live.sinks import Sink
from voicecoach.timeline.model import Chapter, Event, Timeline

BLOCK_SAMPLES = 4096
"""Frames per block written to the sink (~93 ms at 44.1 kHz): the control granularity."""

RESTART_AFTER = 3.0
"""Seconds into a chapter after which "previous" restarts it instead of going back."""


@dataclass(frozen=True)
class PlayerState:
    """A snapshot of where playback is."""

    position: float
    """Seconds into the track that have been heard (from the sink's clock)."""
    frame: int
    """The same position in frames."""
    chapter: int
    """0-based index of the chapter playing."""
    chapter_title: str
    """That chapter's title."""
    exercise: int | None
    """1-based exercise number of the chapter (None in the intro and outro)."""
    event: Event | None
    """The sound playing at this moment (speech before tones), or None in silence."""
    said: Event | None
    """The latest phrase started in this chapter (what the status line shows)."""
    paused: bool
    """True while paused."""
    finished: bool
    """True once the end was reached or playback was stopped."""
    stopped: bool
    """True if playback was stopped before the end."""


class Player:
    """Plays a mixer's track on a sink from ``start`` (seconds) to the end or a stop."""

    def __init__(
        self,
        mixer: Mixer,
        sink: Sink,
        *,
        start: float = 0.0,
        block_samples: int = BLOCK_SAMPLES,
    ) -> None:
        """Nothing is opened or played until ``open()``/``step()``/``run()``."""
        if block_samples <= 0:
            raise ValueError("block_samples must be positive")
        self.mixer = mixer
        self.sink = sink
        self.block_samples = block_samples
        self.timeline: Timeline = mixer.timeline
        self.sample_rate = mixer.sample_rate
        self.total_frames = mixer.total_samples
        sr = self.sample_rate
        self._chapter_starts = [round(c.start * sr) for c in self.timeline.chapters] or [0]
        self._events = sorted(self.timeline.events, key=lambda e: e.start)
        self._event_starts = [round(e.start * sr) for e in self._events]
        self._longest = max((round(e.end * sr) - s for e, s in self._frames()), default=0)
        speech = [(e, s) for e, s in self._frames() if e.kind == "speech"]
        self._speech = [e for e, _ in speech]
        self._speech_starts = [s for _, s in speech]
        self._commands: queue.SimpleQueue[tuple[str, float]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._opened = False
        self._paused = False
        self._stopped = False
        self._ended = False
        self._blocks: Iterator[np.ndarray] | None = None
        self._seg_start = min(max(0, round(start * sr)), self.total_frames)
        """Track frame where the current stretch of continuous playback starts."""
        self._seg_base = 0
        """Sink clock (frames played) at which that stretch starts being heard."""
        self._seg_written = 0
        """Frames of that stretch written to the sink so far."""

    def _frames(self) -> list[tuple[Event, int]]:
        return list(zip(self._events, self._event_starts, strict=True))

    # controls: safe from any thread; applied between blocks

    def pause(self) -> None:
        """Stop the sound where it is; the sink stays open (file sinks get no silence)."""
        self._send("pause")

    def resume(self) -> None:
        """Continue from where it was paused."""
        self._send("resume")

    def toggle_pause(self) -> None:
        """Pause if playing, resume if paused."""
        self._send("toggle")

    def next_chapter(self) -> None:
        """Skip to the start of the next chapter (from the last one: the end)."""
        self._send("next")

    def previous_chapter(self) -> None:
        """Restart this chapter if more than RESTART_AFTER s in, else go to the previous one."""
        self._send("previous")

    def seek_chapter(self, index: int) -> None:
        """Go to the start of chapter INDEX (0-based, clamped to the chapters)."""
        self._send("chapter", index)

    def seek(self, seconds: float) -> None:
        """Go to SECONDS into the track (clamped to the track)."""
        self._send("seek", seconds)

    def stop(self) -> None:
        """End playback after the block being written (the rest of the queue is dropped)."""
        self._send("stop")

    def _send(self, command: str, argument: float = 0.0) -> None:
        self._commands.put((command, argument))
        self._wake.set()

    # state

    @property
    def frame(self) -> int:
        """Frames into the track heard so far, from the sink's clock."""
        with self._lock:
            heard = self.sink.frames_played - self._seg_base
            return self._seg_start + min(max(heard, 0), self._seg_written)

    @property
    def position(self) -> float:
        """Seconds into the track heard so far."""
        return self.frame / self.sample_rate

    @property
    def finished(self) -> bool:
        """True once the end was reached or playback was stopped."""
        return self._ended or self._stopped

    def chapter_at(self, frame: int) -> int:
        """Index of the chapter playing at FRAME."""
        return max(0, bisect.bisect_right(self._chapter_starts, frame) - 1)

    def chapter_start(self, index: int) -> int:
        """First frame of chapter INDEX."""
        return self._chapter_starts[index]

    def state(self) -> PlayerState:
        """Where playback is now."""
        frame = self.frame
        index = self.chapter_at(frame)
        chapters: tuple[Chapter, ...] = self.timeline.chapters
        exercise = chapters[index].exercise if index < len(chapters) else None
        return PlayerState(
            position=frame / self.sample_rate,
            frame=frame,
            chapter=index,
            chapter_title=chapters[index].title if chapters else "",
            exercise=None if exercise is None else exercise + 1,
            event=self._sounding(frame),
            said=self._said(frame, self._chapter_starts[index]),
            paused=self._paused,
            finished=self.finished,
            stopped=self._stopped,
        )

    def _sounding(self, frame: int) -> Event | None:
        """The event heard at FRAME: speech first, then tones."""
        sr = self.sample_rate
        upto = bisect.bisect_right(self._event_starts, frame)
        found: Event | None = None
        for i in range(upto - 1, -1, -1):
            if self._event_starts[i] < frame - self._longest:
                break
            event = self._events[i]
            if frame < round(event.end * sr) and (found is None or event.kind == "speech"):
                found = event
        return found

    def _said(self, frame: int, chapter_start: int) -> Event | None:
        upto = bisect.bisect_right(self._speech_starts, frame)
        if upto and self._speech_starts[upto - 1] >= chapter_start:
            return self._speech[upto - 1]
        return None

    # driving

    def open(self) -> None:
        """Open the sink (once)."""
        if not self._opened:
            self.sink.open(self.sample_rate)
            self._opened = True
            with self._lock:
                self._seg_base = self.sink.frames_played

    def step(self) -> bool:
        """Apply pending controls, then write one block (none while paused).

        Returns False once playback has ended or was stopped.
        """
        self.open()
        self._apply_commands()
        if self.finished:
            return False
        if self._paused:
            return True
        if self._blocks is None:
            start = self._seg_start / self.sample_rate
            self._blocks = self.mixer.blocks(start, self.block_samples)
        block = next(self._blocks, None)
        if block is None:
            self._ended = True
            return False
        self.sink.write(block)
        with self._lock:
            self._seg_written += len(block)
        return True

    def run(self, on_tick: Callable[[Player], None] | None = None) -> PlayerState:
        """Play to the end or until stopped; ON_TICK runs after every block and
        while paused about once a block. The sink is closed before returning."""
        complete = False
        try:
            while self.step():
                if on_tick is not None:
                    on_tick(self)
                if self._paused:
                    self._wake.wait(self.block_samples / self.sample_rate)
                    self._wake.clear()
            if self._ended:
                self.sink.drain()
            complete = True
        finally:
            if self._opened:
                self.sink.close(complete)
        return self.state()

    def _apply_commands(self) -> None:
        while True:
            try:
                command, argument = self._commands.get_nowait()
            except queue.Empty:
                return
            self._apply(command, argument)

    def _apply(self, command: str, argument: float) -> None:
        if self.finished:
            return
        if command == "pause" or (command == "toggle" and not self._paused):
            if not self._paused:
                self._jump(None)
                self._paused = True
        elif command in ("resume", "toggle"):
            self._paused = False
        elif command == "stop":
            self._jump(None)
            self._stopped = True
        elif command == "next":
            index = self.chapter_at(self.frame) + 1
            last = index >= len(self._chapter_starts)
            self._jump(self.total_frames if last else self.chapter_start(index))
            self._ended = last
        elif command == "previous":
            frame = self.frame
            index = self.chapter_at(frame)
            if frame - self.chapter_start(index) <= RESTART_AFTER * self.sample_rate:
                index = max(0, index - 1)
            self._jump(self.chapter_start(index))
        elif command == "chapter":
            index = min(max(0, int(argument)), len(self._chapter_starts) - 1)
            self._jump(self.chapter_start(index))
        elif command == "seek":
            frame = round(argument * self.sample_rate)
            self._jump(min(max(0, frame), self.total_frames))
        else:
            raise ValueError(f"unknown player command {command!r}")

    def _jump(self, frame: int | None) -> None:
        """Drop queued audio and continue from FRAME (None: from what will be heard)."""
        committed = self.sink.discard()
        with self._lock:
            if frame is None:
                heard = min(max(committed - self._seg_base, 0), self._seg_written)
                frame = self._seg_start + heard
            self._seg_start = frame
            self._seg_base = committed
            self._seg_written = 0
            self._blocks = None
