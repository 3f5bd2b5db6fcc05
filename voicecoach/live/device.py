"""The sound device sink: PortAudio through sounddevice, with a callback stream.

The device pulls audio from a short queue in its own callback thread and plays
silence whenever the queue is empty (paused, or the renderer fell behind), so the
stream stays open and underruns never click. Its clock is the device's: the frames
handed to the device, minus those still between the callback and the speaker,
estimated from PortAudio's DAC timestamps. Nothing here sleeps to keep time.
"""

from __future__ import annotations

import collections
import importlib
import threading
from typing import Any

import numpy as np

from voicecoach.errors import VoiceCoachError

INSTALL_PORTAUDIO = "sudo apt-get install libportaudio2"
"""How to get the PortAudio library on Debian/Ubuntu."""

QUEUE_SECONDS = 0.1
"""Audio queued ahead of the device callback; ``write`` blocks beyond this."""

_WAIT = 0.25
"""Longest single wait on the callback (seconds) before re-checking the stream."""


def import_sounddevice(name: str = "sounddevice") -> Any:
    """The sounddevice module, or a one-line VoiceCoachError saying what to install."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise VoiceCoachError(
            "playing on the sound device needs the sounddevice package "
            "(pip install sounddevice); or use --sink null or --sink wav:PATH"
        ) from exc
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise VoiceCoachError(
            f"the PortAudio library is missing ({INSTALL_PORTAUDIO}); "
            "or use --sink null or --sink wav:PATH"
        ) from exc


class DeviceSink:
    """Plays on a PortAudio output device (None: the system's default output)."""

    def __init__(self, device: str | int | None = None, latency: str | float = 0.1) -> None:
        """Use DEVICE (name or index; None: default) with PortAudio LATENCY
        (seconds of device buffer: 0.1 s rides out a busy machine without underruns)."""
        self.device = device
        self.latency = latency
        self.sample_rate = 0
        self.channels = 1
        self._stream: Any = None
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._queue: collections.deque[np.ndarray] = collections.deque()
        self._offset = 0
        """Frames of the queue's first block already handed to the device."""
        self._queued = 0
        """Frames waiting in the queue."""
        self._limit = 0
        """Most frames the queue holds before ``write`` waits."""
        self._handed = 0
        """Track frames handed to the device so far."""
        self._ends_at: float | None = None
        """Stream time at which the last frame handed to the device will have played."""
        self._played = 0
        """Last reported ``frames_played`` (the estimate never goes back)."""
        self._error: str | None = None

    def check(self) -> None:
        """VoiceCoachError unless sounddevice, PortAudio and an output device are there."""
        sd = import_sounddevice()
        try:
            sd.query_devices(self.device, kind="output")
        except (sd.PortAudioError, ValueError) as exc:
            raise VoiceCoachError(_no_device(self.device, exc)) from exc

    def open(self, sample_rate: int) -> None:
        """Open and start the stream (VoiceCoachError if there is no usable device)."""
        sd = import_sounddevice()
        self.sample_rate = sample_rate
        self._limit = max(1, round(QUEUE_SECONDS * sample_rate))
        last: Exception | None = None
        for channels in (1, 2):  # some devices take stereo only
            try:
                stream = sd.OutputStream(
                    samplerate=sample_rate,
                    channels=channels,
                    dtype="float32",
                    device=self.device,
                    latency=self.latency,
                    callback=self._callback,
                )
            except (sd.PortAudioError, ValueError) as exc:
                last = exc
                continue
            self.channels = channels
            self._stream = stream
            break
        else:
            raise VoiceCoachError(_no_device(self.device, last))
        try:
            self._stream.start()
        except sd.PortAudioError as exc:
            self._stream.close()
            self._stream = None
            raise VoiceCoachError(f"cannot start the sound device: {_one_line(exc)}") from exc

    def _callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        """PortAudio's thread: fill OUTDATA from the queue, silence after it."""
        with self._lock:
            filled = 0
            while filled < frames and self._queue:
                head = self._queue[0]
                take = min(len(head) - self._offset, frames - filled)
                chunk = head[self._offset : self._offset + take]
                outdata[filled : filled + take] = chunk[:, None]
                filled += take
                self._offset += take
                if self._offset == len(head):
                    self._queue.popleft()
                    self._offset = 0
            outdata[filled:] = 0
            if filled:
                dac = time.outputBufferDacTime or (time.currentTime + self._stream_latency())
                self._ends_at = dac + filled / self.sample_rate
            self._handed += filled
            self._queued -= filled
            self._room.notify_all()

    def _stream_latency(self) -> float:
        stream = self._stream
        return float(stream.latency) if stream is not None else 0.0

    def write(self, block: np.ndarray) -> None:
        """Queue BLOCK; waits (on the device) while the queue is full."""
        samples = np.ascontiguousarray(block, dtype=np.float32)
        with self._room:
            while self._queued >= self._limit:
                self._check_alive()
                self._room.wait(_WAIT)
            self._queue.append(samples)
            self._queued += len(samples)

    def _check_alive(self) -> None:
        stream = self._stream
        if stream is None or not stream.active:
            raise VoiceCoachError("the sound device stopped playing")

    @property
    def frames_played(self) -> int:
        """Track frames that have reached the speaker, from the device's DAC clock:
        those handed over minus those still ahead of the DAC."""
        stream = self._stream
        with self._lock:
            if self._ends_at is None:
                return self._played
            ahead = 0.0
            if stream is not None:
                try:
                    ahead = max(0.0, self._ends_at - stream.time)
                except Exception:  # a closed stream: everything handed over has played
                    ahead = 0.0
            estimate = self._handed - round(ahead * self.sample_rate)
            self._played = max(self._played, estimate)
            return self._played

    def discard(self) -> int:
        """Drop the queue; returns the frames the device has (and so will have played)."""
        with self._room:
            self._queue.clear()
            self._offset = 0
            self._queued = 0
            self._room.notify_all()
            return self._handed

    def drain(self) -> None:
        """Wait until the queue has been handed over and the device has played it."""
        with self._room:
            while self._queued > 0:
                self._check_alive()
                self._room.wait(_WAIT)
            handed = self._handed
        while self.frames_played < handed:
            with self._room:
                self._check_alive()
                self._room.wait(_WAIT)

    def close(self, complete: bool = True) -> None:
        """Stop the stream (letting the device's buffer play out when complete)."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            if complete:
                stream.stop()
            else:
                stream.abort()
        finally:
            stream.close()


def _no_device(device: str | int | None, exc: BaseException | None) -> str:
    """The one-line error for a missing or unusable output device."""
    where = f"output device {device!r}" if device is not None else "a sound output device"
    return (
        f"cannot find {where} ({_one_line(exc)}); check the sound card or that "
        "PulseAudio/PipeWire is running, or use --sink null or --sink wav:PATH"
    )


def _one_line(exc: BaseException | None) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split()) if exc is not None else "unknown error"
