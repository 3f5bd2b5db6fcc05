"""Where live audio goes: one small protocol, a null sink, a WAV file and the sound device.

A sink's clock is ``frames_played``: the track frames that have reached the listener.
File sinks have a virtual clock (a frame counts as played once written), so they run
as fast as the audio is rendered; the device sink's clock is the device's.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Protocol

import numpy as np

from voicecoach.atomic import check_target, commit_outputs, discard_temp, temp_path_for
from voicecoach.errors import AudioError, VoiceCoachError
from voicecoach.wavio import to_int16

SINK_HELP = "default (the sound device), null (discard, fast) or wav:PATH (write a WAV, fast)"
"""What ``--sink`` accepts, for help texts and errors."""


class Sink(Protocol):
    """Receives the track block by block and keeps the clock of what has been heard."""

    def check(self) -> None:
        """Fail early (VoiceCoachError, one line) if this sink cannot work here."""

    def open(self, sample_rate: int) -> None:
        """Get ready to receive mono float32 audio at SAMPLE_RATE."""

    def write(self, block: np.ndarray) -> None:
        """Queue a block of track audio (a device sink blocks while its queue is full)."""

    @property
    def frames_played(self) -> int:
        """Frames of track audio heard so far (silence while paused is not counted)."""

    def discard(self) -> int:
        """Drop audio written but not yet handed to the device; returns the total frames
        that will have been played once what the device already holds has played."""

    def drain(self) -> None:
        """Wait until every written frame has been played."""

    def close(self, complete: bool = True) -> None:
        """Release the sink; ``complete=False`` (an error) leaves no output behind."""


class NullSink:
    """Discards audio; a virtual clock that advances by the frames written."""

    def __init__(self, keep: bool = False) -> None:
        """``keep=True`` keeps every block in ``blocks`` (for tests)."""
        self.sample_rate = 0
        self.blocks: list[np.ndarray] | None = [] if keep else None
        self._frames = 0

    def check(self) -> None:
        """A null sink always works."""

    def open(self, sample_rate: int) -> None:
        """Start the clock at zero."""
        self.sample_rate = sample_rate
        self._frames = 0

    def write(self, block: np.ndarray) -> None:
        """Count (and maybe keep) the block; returns at once."""
        if self.blocks is not None:
            self.blocks.append(np.array(block, dtype=np.float32))
        self._frames += len(block)

    @property
    def frames_played(self) -> int:
        """Frames written so far."""
        return self._frames

    def discard(self) -> int:
        """Nothing is ever queued: the frames written."""
        return self._frames

    def drain(self) -> None:
        """Nothing to wait for."""

    def close(self, complete: bool = True) -> None:
        """Nothing to release."""

    def samples(self) -> np.ndarray:
        """Everything kept, as one array (needs ``keep=True``)."""
        if self.blocks is None:
            raise ValueError("NullSink(keep=True) is needed to read the samples back")
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)


class WavSink(NullSink):
    """Writes 16-bit mono WAV as fast as the audio comes; the file appears only on close.

    Samples are converted exactly as ``voicecoach.wavio.to_int16`` does, so the
    file holds the renderer's output. Until ``close()`` the audio is in a hidden temp
    file beside the target; ``close(complete=False)`` removes it.
    """

    def __init__(self, path: str | Path) -> None:
        """Write to PATH (its folder is created if missing)."""
        super().__init__()
        self.path = Path(path)
        self._temp: Path | None = None
        self._wav: wave.Wave_write | None = None

    def check(self) -> None:
        """The target must be a file (or not exist yet), not a folder or a device."""
        check_target(self.path)

    def open(self, sample_rate: int) -> None:
        """Create the temp file and write the WAV header."""
        super().open(sample_rate)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._temp = temp_path_for(self.path)
            wav = wave.open(str(self._temp), "wb")  # noqa: SIM115 (closed in close())
        except (OSError, AudioError) as exc:
            self._remove_temp()
            raise VoiceCoachError(f"cannot write {self.path}: {exc}") from exc
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        self._wav = wav

    def write(self, block: np.ndarray) -> None:
        """Append the block as 16-bit samples."""
        if self._wav is None:
            raise RuntimeError("WavSink.write before open")
        try:
            self._wav.writeframes(to_int16(block).tobytes())
        except OSError as exc:
            raise VoiceCoachError(f"cannot write {self.path}: {exc.strerror}") from exc
        super().write(block)

    def close(self, complete: bool = True) -> None:
        """Finish the header and move the file into place (or remove it)."""
        wav, self._wav = self._wav, None
        if wav is None:
            return
        try:
            wav.close()
            if complete and self._temp is not None:
                commit_outputs({self.path: self._temp})
                self._temp = None
        except OSError as exc:
            raise VoiceCoachError(f"cannot write {self.path}: {exc.strerror}") from exc
        finally:
            self._remove_temp()

    def _remove_temp(self) -> None:
        if self._temp is not None:
            discard_temp(self._temp)
            self._temp = None


def parse_sink(spec: str) -> Sink:
    """A sink from its ``--sink`` spelling: ``default``, ``null`` or ``wav:PATH``."""
    if spec == "null":
        return NullSink()
    if spec.startswith("wav:"):
        if not spec[4:]:
            raise ValueError("wav: needs a file name, e.g. wav:session.wav")
        return WavSink(spec[4:])
    if spec == "default" or spec.startswith("device:"):
        from voicecoach.live.device import DeviceSink

        return DeviceSink(spec.partition(":")[2] or None)
    raise ValueError(f"unknown sink {spec!r}; use {SINK_HELP}")
