"""Render, encode, tag and write a timeline as a track with its sidecar files."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from voicecoach.atomic import TERMINATION_SIGNALS, atomic_outputs, signals_as_interrupt
from voicecoach.audio.assembly import RenderAssembly
from voicecoach.audio.assets import load_tones
from voicecoach.audio.encode import FORMATS, ProgressCallback, check_bitrate, encode_pcm
from voicecoach.audio.measure import TRUE_PEAK_ALLOWANCE_DB, Measured, measure_kept
from voicecoach.audio.mixer import (
    DEFAULT_BLOCK_SAMPLES,
    ClipLike,
    Mixer,
    MixLevels,
)
from voicecoach.audio.sidecars import timeline_json_text, vtt_text
from voicecoach.audio.tags import TrackTags, ffmetadata_text, tag_mp3
from voicecoach.errors import AudioError
from voicecoach.timeline.model import Timeline

__all__ = [
    "DEFAULT_BLOCK_SAMPLES",
    "FORMATS",
    "ClipLike",
    "Mixer",
    "MixLevels",
    "RenderAssembly",
    "TrackFiles",
    "load_tones",
    "sidecar_paths",
    "track_levels",
    "write_track",
]

DEFAULT_ARTIST = "voicecoach"
"""Artist written into every track unless overridden."""

_ENCODE_BLOCK = DEFAULT_BLOCK_SAMPLES  # small blocks keep the limiter local (faster)
_ENCODES = 3
"""Encodes at most, each corrected by what the decoded one before it measured."""
LOUDNESS_TOLERANCE = 0.5
"""LU the decoded track's integrated loudness may differ from the target."""
_SILENCE_LUFS = -69.0
"""ffmpeg's ebur128 reports silence as -70 LUFS."""
_PEAK_MARGIN_DB = 0.3
"""Extra dB taken off when an encode overshot the true-peak ceiling."""


@dataclass(frozen=True)
class TrackFiles:
    """The three files one build writes."""

    track: Path
    """The audio track (mp3, m4a, ogg or wav)."""
    captions: Path
    """WebVTT captions of everything spoken (OUT's stem + ``.vtt``)."""
    timeline: Path
    """The timeline JSON the track was rendered from (OUT's stem + ``.timeline.json``)."""


def sidecar_paths(out: Path) -> TrackFiles:
    """OUT with its sidecars: OUT's stem + ``.vtt`` and + ``.timeline.json``."""
    return TrackFiles(out, out.with_suffix(".vtt"), out.with_suffix(".timeline.json"))


def write_track(
    assembly: RenderAssembly,
    out: Path,
    *,
    format: str = "mp3",
    title: str | None = None,
    album: str | None = None,
    artist: str = DEFAULT_ARTIST,
    progress: ProgressCallback | None = None,
    extra: Mapping[Path, str | bytes] | None = None,
    bitrate: int | None = None,
) -> TrackFiles:
    """Render ASSEMBLY and write the track, ``.vtt`` and ``.timeline.json``.

    Title and album default to the timeline's title. EXTRA: more files to write with
    them ({path: text or bytes}, e.g. the player page). The decoded track's true peak
    stays under the assembly's ``levels.true_peak_dbtp``: the mix is limited below it
    by the format's headroom, and an encode that still overshoots is redone with a
    lower ceiling. All files appear together or not at all: on any error, Ctrl-C or
    SIGTERM (raised as BuildInterrupted) the temps are removed and files from an
    earlier build stay as they were.
    """
    if format not in FORMATS:
        raise AudioError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    check_bitrate(format, bitrate)
    timeline = assembly.timeline
    out = Path(out)
    files = sidecar_paths(out)
    tags = TrackTags(
        title=title if title is not None else timeline.title,
        album=album if album is not None else timeline.title,
        artist=artist,
    )
    target = assembly.levels.track_lufs
    spec = FORMATS[format]
    mixer = assembly.mixer(track_levels(assembly.levels, format, bitrate))
    duration = mixer.total_samples / mixer.sample_rate
    extra = dict(extra or {})
    paths = [files.track, files.captions, files.timeline, *extra]
    with signals_as_interrupt(*TERMINATION_SIGNALS), atomic_outputs(paths) as tmp:
        for path, content in extra.items():
            if isinstance(content, str):
                tmp[path].write_text(content, encoding="utf-8")
            else:
                tmp[path].write_bytes(content)
        tmp[files.captions].write_text(vtt_text(timeline), encoding="utf-8")
        tmp[files.timeline].write_text(timeline_json_text(timeline), encoding="utf-8")
        with _metadata_file(tags, timeline, duration, spec.metadata) as metadata:
            for attempt in range(1, _ENCODES + 1):
                mixer.store_clips()  # a cold build's clips, made by every worker at once
                written = encode_pcm(
                    lambda start: mixer.blocks(start / mixer.sample_rate, _ENCODE_BLOCK),
                    tmp[files.track],
                    format=format,
                    total_samples=mixer.total_samples,
                    sample_rate=mixer.sample_rate,
                    metadata=metadata,
                    progress=progress if attempt == 1 else None,  # never going back
                    bitrate=bitrate,
                    quiet=mixer.silent_spans(),
                )
                measured = measure_kept(tmp[files.track], assembly.levels_dir)
                if not _corrected(mixer, measured, target, attempt, files):
                    break
        if format == "mp3":
            tag_mp3(tmp[files.track], tags, timeline.chapters, written / mixer.sample_rate)
    return files


def track_levels(levels: MixLevels, format: str, bitrate: int | None = None) -> MixLevels:
    """LEVELS as a track in FORMAT (at BITRATE) is mixed at first: the mix's true-peak
    ceiling the format's headroom under LEVELS' ceiling for the decoded file, the clips'
    peaks no higher (the calibration sees the limiting then), the loudness target
    raised by what the codec takes off."""
    spec = FORMATS[format]
    mix_peak = levels.true_peak_dbtp - spec.headroom(bitrate)
    return replace(
        levels,
        mix_peak_dbfs=mix_peak,
        clip_peak_dbfs=min(levels.clip_peak_dbfs, mix_peak),
        track_lufs=levels.track_lufs + spec.loudness_loss_db,
    )


def _corrected(
    mixer: Mixer, measured: Measured, target: float, attempt: int, files: TrackFiles
) -> bool:
    """Whether to encode again, after correcting MIXER for what the decoded track
    MEASURED: a true peak over the ceiling lowers the mix's ceiling by the overshoot
    (and a margin), loudness off TARGET (LUFS) by more than LOUDNESS_TOLERANCE (a codec
    that cuts high frequencies, a lower ceiling) recalibrates the gain (`Mixer.retune`).
    No encode when nothing would change (the calibration at its top) or after
    _ENCODES; what is still off is a one-line warning (`_missed`). The true peak counts
    TRUE_PEAK_ALLOWANCE_DB higher, as other meters may read it."""
    levels = mixer.levels
    true_peak = measured.true_peak + TRUE_PEAK_ALLOWANCE_DB
    overshoot = true_peak - levels.true_peak_dbtp
    loudness_error = target - measured.lufs
    audible = measured.lufs > _SILENCE_LUFS
    retune = audible and abs(loudness_error) > LOUDNESS_TOLERANCE
    if overshoot <= 0 and not retune:
        return False
    if attempt < _ENCODES:
        gain = mixer.gain_db
        if retune:
            mixer.retune(loudness_error)
        if overshoot > 0:  # the decoded file peaks above the mix: lower it that much
            mixer.lower_ceiling(overshoot + _PEAK_MARGIN_DB)
        mixer.calibrate()
        if overshoot > 0 or mixer.gain_db != gain:
            return True
    for message in _missed(mixer, measured, target, true_peak, attempt, files, retune):
        warnings.warn(message, stacklevel=3)
    return False


def _missed(
    mixer: Mixer,
    measured: Measured,
    target: float,
    true_peak: float,
    attempt: int,
    files: TrackFiles,
    retune: bool,
) -> list[str]:
    """The warnings for a track that is still off after its last encode: its true peak
    above the ceiling, its loudness off the target (too quiet with the calibration at
    its top: the ceiling is what limits it, so a lower --loudness is what to ask)."""
    ceiling = mixer.levels.true_peak_dbtp
    encodes = f"after {attempt} encode{'s' if attempt != 1 else ''}"
    found = []
    if true_peak > ceiling:
        found.append(
            f"{files.track.name}: true peak up to {true_peak:+.1f} dBTP, above the "
            f"{ceiling:+.1f} dBTP ceiling, {encodes}"
        )
    if retune and measured.lufs < target and mixer.at_loudest:
        found.append(
            f"{files.track.name} measures {measured.lufs:.1f} LUFS, not the {target:.1f} "
            f"LUFS asked for: under the {ceiling:+.1f} dBTP true-peak ceiling it can't be "
            f"made louder without crushing it; build with --loudness "
            f"{math.floor(measured.lufs)} or lower"
        )
    elif retune:
        found.append(
            f"{files.track.name} measures {measured.lufs:.1f} LUFS, not the {target:.1f} "
            f"LUFS asked for, {encodes}"
        )
    return found


@contextlib.contextmanager
def _metadata_file(tags: TrackTags, timeline: Timeline, duration: float, wanted: bool):
    """An FFMETADATA temp file for formats whose tags ffmpeg writes (else None)."""
    if not wanted:
        yield None
        return
    fd, name = tempfile.mkstemp(prefix="voicecoach-", suffix=".ffmeta")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(ffmetadata_text(tags, timeline.chapters, duration))
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
