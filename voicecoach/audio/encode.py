"""Encode a stream of float PCM blocks with ffmpeg (s16le over a pipe, no temp WAV).

MP3 timing: libmp3lame delays the signal by 1105 samples and pads the last frame;
ffmpeg writes both numbers into the LAME/Info header and decoders that honour it
(ffmpeg, browsers, podcast apps) return exactly the samples we fed in. Tools that
estimate the duration from the frame count instead (ffprobe, mutagen) report
``frames * 1152`` samples, up to 52 ms too long; ``mp3_length`` trims the track's last
few milliseconds (at most 12 ms, faded out) when that estimate would pass 40 ms.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.atomic import signals_deferred
from voicecoach.audio import mp3frames
from voicecoach.audio.mp3_silence import NotSilent, Shortened, plan_cuts, put_back
from voicecoach.audio.split_encode import NotJoined, encode_split, plan_segments
from voicecoach.errors import AudioError
from voicecoach.wavio import pcm16

INSTALL_HINT = "install it with: sudo apt-get install ffmpeg"

ProgressCallback = Callable[[float, float], None]
"""Called as ``progress(done_seconds, total_seconds)`` while encoding."""


@dataclass(frozen=True)
class Format:
    """How ffmpeg writes one output format."""

    muxer: str
    """ffmpeg's ``-f`` name."""
    codec_args: tuple[str, ...]
    """Codec and quality options."""
    metadata: bool
    """Whether ffmpeg writes the tags (and chapters, where the container has them)."""
    sample_rate: int | None = None
    """Rate the codec needs (Opus: 48 kHz), or None to keep the track's."""
    bitrate: int | None = None
    """Default bitrate in kbit/s (None: the format has no bitrate to choose)."""
    headroom_db: float = 1.0
    """dB the PCM's true peak stays below the ceiling, for the codec's overshoot."""
    loudness_loss_db: float = 0.0
    """LU the decoded file usually measures below the PCM it was encoded from (the mix
    is made that much louder, so one encode lands on the target)."""
    full_band_kbps: int = 0
    """Below this bitrate the codec's low-pass makes it overshoot more: the headroom
    grows by `headroom_per_kbps` for every kbit/s under it."""
    headroom_per_kbps: float = 0.0

    def headroom(self, bitrate: int | None) -> float:
        """dB the PCM's true peak stays below the ceiling at BITRATE (None: the
        default)."""
        kbps = self.bitrate if bitrate is None else bitrate
        if kbps is None:
            return self.headroom_db
        return self.headroom_db + max(0, self.full_band_kbps - kbps) * self.headroom_per_kbps


FORMATS = {
    # LAME's files measure 0.2-0.4 LU under their PCM (speech, 48-192 kbit/s; AAC, Opus: 0)
    # -reservoir 0: each frame holds only its own bits, so frames can be joined (split_encode)
    # LAME's decoded true peak passes the PCM's by up to 0.6 dB at 64 kbit/s, 2.2 at 48
    # and 3.5 at 32 (limited speech: the harder it is limited, the more)
    "mp3": Format(
        "mp3",
        ("-c:a", "libmp3lame", "-reservoir", "0", "-id3v2_version", "0"),
        False,
        None,
        96,
        1.0,
        0.3,
        full_band_kbps=64,
        headroom_per_kbps=0.08,
    ),
    "m4a": Format("ipod", ("-c:a", "aac", "-movflags", "+faststart"), True, None, 96, 2.0),
    "ogg": Format("ogg", ("-c:a", "libopus"), True, 48000, 64, 1.5),  # keeps chapters
    "wav": Format("wav", ("-c:a", "pcm_s16le"), True, None, None, 0.5),  # INFO tags, no chapters
}
"""Supported output formats by name (also the file extension)."""

BITRATE_RANGE = (32, 320)
"""Bitrates (kbit/s) `--bitrate` accepts for the lossy formats."""

_MP3_FRAME = 1152
_MP3_MAX_EXCESS = 1764  # 40 ms at 44.1 kHz
_FADE_SECONDS = 0.005
_PIPE_BYTES = 2**20


def find_ffmpeg() -> str:
    """Path of the ffmpeg executable (AudioError with the install command if absent)."""
    found = shutil.which("ffmpeg")
    if found is None:
        raise AudioError(f"ffmpeg was not found on PATH; {INSTALL_HINT}")
    return found


def ffmpeg_file(path: Path) -> str:
    """PATH as ffmpeg must read it: a file, whatever it looks like (``pipe:x``,
    ``-name``, ``http:...`` would otherwise be a protocol or an option)."""
    return "file:" + str(Path(path).absolute())


def mp3_length(samples: int) -> int:
    """Samples to encode so an MP3's frame-count duration is at most 40 ms too long.

    libmp3lame writes ``ceil(n / 1152) + 1`` frames for n samples, so frame-counting
    tools overstate the length by 26-52 ms; cutting n to a multiple of 1152 (at most
    12 ms) brings that to 26 ms when it would otherwise exceed 40 ms.
    """
    partial = samples % _MP3_FRAME
    excess = _MP3_FRAME + (_MP3_FRAME - partial) % _MP3_FRAME
    if excess > _MP3_MAX_EXCESS and samples > partial:
        return samples - partial
    return samples


Render = Callable[[int], Iterable[np.ndarray]]
"""``render(start)``: the track's float blocks from sample START to its end."""

MAX_ENCODERS = 8
"""Most ffmpeg processes one MP3 is encoded by at once (1: never split)."""


def _span(render: Render, start: int, stop: int, length: int, fade: int) -> Iterator[np.ndarray]:
    """Samples START to STOP of the first LENGTH samples RENDER gives, the last FADE of
    those LENGTH faded out (when LENGTH cuts the track short)."""
    pos = start
    fade_start = length - fade
    blocks = iter(render(start))
    try:
        for block in blocks:
            if pos >= stop:
                break
            block = block[: stop - pos]
            if fade and pos + len(block) > fade_start:
                index = np.arange(pos, pos + len(block)) - fade_start
                ramp = 0.5 + 0.5 * np.cos(np.pi * np.clip(index, 0, fade) / fade)
                block = (block * ramp).astype(np.float32)
            yield block
            pos += len(block)
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()


def encoders() -> int:
    """How many ffmpeg processes an MP3 may be encoded by: the cores this process may run
    on, at most MAX_ENCODERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_ENCODERS, cores))


def encode_pcm(
    render: Render,
    out: Path,
    *,
    format: str,
    total_samples: int,
    sample_rate: int,
    metadata: Path | None = None,
    progress: ProgressCallback | None = None,
    bitrate: int | None = None,
    quiet: Sequence[tuple[int, int]] = (),
) -> int:
    """Encode the float blocks RENDER gives (TOTAL_SAMPLES in all) into OUT; return the
    samples encoded.

    METADATA is an FFMETADATA file (tags, chapters), used where ``Format.metadata``;
    BITRATE (kbit/s) replaces the format's default. QUIET (sorted sample spans) is where
    the track is exactly zero: an MP3 is encoded without the whole frames inside them,
    which are put back as silent frames (`mp3_silence`), and when long enough by several
    ffmpeg processes at once (`split_encode`; `encoders()`). AudioError if ffmpeg is
    missing or fails (with the last line of its stderr).
    """
    spec = FORMATS.get(format)
    if spec is None:
        raise AudioError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    check_bitrate(format, bitrate)
    length, fade = total_samples, 0
    if format == "mp3" and sample_rate == 44100:
        length = mp3_length(total_samples)
        if length != total_samples:
            fade = round(_FADE_SECONDS * sample_rate)
    command = [find_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    command += ["-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0"]
    if metadata is not None and spec.metadata:
        command += ["-f", "ffmetadata", "-i", ffmpeg_file(metadata), "-map_metadata", "1"]
        command += ["-map_chapters", "1", "-map", "0:a"]
    else:
        command += ["-map_metadata", "-1", "-map_chapters", "-1"]
    rate = spec.sample_rate or sample_rate
    command += list(spec.codec_args)
    kbps = bitrate or spec.bitrate
    if kbps is not None:
        command += ["-b:a", f"{kbps}k"]
    command += ["-ar", str(rate), "-ac", "1", "-f", spec.muxer]

    def blocks(start: int, stop: int) -> Iterator[np.ndarray]:
        return _span(render, start, stop, length, fade)

    report = None
    if progress is not None:
        furthest = 0

        def report(done: int) -> None:
            # never back: an encode done again (not silent, not joined) is told from
            # where the first one had got to
            nonlocal furthest
            if done > furthest:
                furthest = done
                progress(done / sample_rate, length / sample_rate)

    if format == "mp3" and sample_rate in (32000, 44100, 48000) and kbps is not None:
        inside = [(lo, min(hi, length)) for lo, hi in quiet if lo < length]  # after the trim
        shortened = Shortened(length, plan_cuts(length, inside))
        try:
            _encode_mp3(command, out, shortened, inside, blocks, report, kbps, sample_rate)
        except NotSilent:  # not silent where the mix said: the whole track
            whole = Shortened(length, ())
            _encode_mp3(command, out, whole, inside, blocks, report, kbps, sample_rate)
        return length
    return _encode_one(command, out, blocks(0, length), length, report, format)


def _encode_mp3(
    command: list[str],
    out: Path,
    shortened: Shortened,
    quiet: Sequence[tuple[int, int]],
    blocks: Callable[[int, int], Iterator[np.ndarray]],
    report: Callable[[int], None] | None,
    kbps: int,
    sample_rate: int,
) -> None:
    """Encode SHORTENED (the track with its silence left out, `mp3_silence`) into OUT,
    by one ffmpeg per core when it is long enough (`split_encode`, joined in QUIET where
    it can be), else by one; then put the silence back. NotSilent if it was not."""
    length = shortened.encoded

    def fed(start: int, stop: int) -> Iterator[np.ndarray]:
        return shortened.blocks(blocks, start, stop)

    told = None
    if report is not None:
        told = lambda done: report(shortened.to_track(done))  # noqa: E731
    period = mp3frames.padding_period(kbps, sample_rate)
    segments = plan_segments(length, encoders(), period, shortened.quiet(quiet), sample_rate)
    joined = False
    if segments:
        try:
            encode_split(command, out, segments, fed, length, told)
            joined = True
        except NotJoined:
            pass  # not exact: one process (and the mix) again
    if not joined:
        _encode_one(command, out, fed(0, length), length, told, "mp3")
    if shortened.cuts:
        put_back(out, shortened)


def _encode_one(
    command: list[str],
    out: Path,
    blocks: Iterable[np.ndarray],
    length: int,
    report: Callable[[int], None] | None,
    format: str,
) -> int:
    """Encode BLOCKS (LENGTH samples) into OUT by one ffmpeg running COMMAND (its output
    last); the samples written. AudioError if ffmpeg fails."""
    command = [*command, ffmpeg_file(out)]
    with tempfile.TemporaryFile() as stderr:
        process: subprocess.Popen | None = None
        try:
            with signals_deferred() as deferred:
                try:
                    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=stderr)
                except OSError as exc:
                    raise AudioError(f"cannot run ffmpeg: {exc}; {INSTALL_HINT}") from exc
            deferred.replay()  # a stop signal that came while ffmpeg started stops it now
            written = _feed(process, blocks, report)
        except BaseException:
            if process is not None:
                process.kill()
                process.wait()
            raise
        stderr.seek(0)
        message = stderr.read().decode("utf-8", "replace")
    if process.returncode != 0:
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {process.returncode}"
        last = last.replace(ffmpeg_file(out), str(out))
        raise AudioError(f"ffmpeg failed to write {format}: {last}")
    if written != length:
        raise AudioError(f"rendered {written} samples, expected {length}")
    return written


def _widen_pipe(fd: int) -> None:
    """Let the pipe to ffmpeg hold about 12 s of audio (Linux; elsewhere as it is), so
    mixing the next blocks overlaps ffmpeg encoding the last ones."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def check_bitrate(format: str, bitrate: int | None) -> None:
    """AudioError unless BITRATE (kbit/s, None: the default) suits FORMAT."""
    if bitrate is None:
        return
    if FORMATS[format].bitrate is None:
        raise AudioError(f"{format} is uncompressed: it takes no bitrate")
    low, high = BITRATE_RANGE
    if not low <= bitrate <= high:
        raise AudioError(f"bitrate {bitrate}k is outside {low}k-{high}k")


def _feed(
    process: subprocess.Popen,
    blocks: Iterable[np.ndarray],
    progress: Callable[[int], None] | None,
) -> int:
    """Write every block to ffmpeg's stdin as s16le, wait for it; samples written."""
    assert process.stdin is not None
    _widen_pipe(process.stdin.fileno())
    written = 0
    try:
        for block in blocks:
            process.stdin.write(pcm16(block))
            written += len(block)
            if progress is not None:
                progress(written)
    except BrokenPipeError:
        pass  # ffmpeg stopped early; its exit status and stderr say why
    with contextlib.suppress(BrokenPipeError):
        process.stdin.close()
    process.wait()
    return written
