"""The pipeline end to end: load → compile (with real phrase lengths) → render → files.

The CLI and the library builder are thin layers over these functions.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass, replace
from importlib import resources
from pathlib import Path

from voicecoach.atomic import check_target
from voicecoach.audio import FORMATS as AUDIO_FORMATS
from voicecoach.audio import RenderAssembly, TrackFiles, sidecar_paths, track_levels, write_track
from voicecoach.audio.assets import load_tone_set, tone_files
from voicecoach.audio.clip_levels import LevelStore, content_name, prune_levels, written_bytes
from voicecoach.audio.decode import DecodeError, probe_audio
from voicecoach.audio.loudness import db_to_gain
from voicecoach.audio.mixer import ClipLike, MixLevels
from voicecoach.audio.music import MusicBed, MusicSettings, decode_music
from voicecoach.errors import (
    AudioError,
    ScriptError,
    SpeechError,
    UnknownVoiceError,
    VoiceCoachError,
    VoiceSettingError,
)
from voicecoach.page import page_files, page_names
from voicecoach.script import Programme, load_programme
from voicecoach.script.model import Voice
from voicecoach.speech.base import VoiceInfo, check_settings, estimate_duration
from voicecoach.speech.cache import PhraseCache, default_cache_dir, entry_path
from voicecoach.speech.choice import best_voice
from voicecoach.speech.recordings import ManifestRow, Recordings, update_manifest
from voicecoach.speech.registry import engine_names, get_engine
from voicecoach.speech.speaker import ProgrammeSpeech, programme_pronunciation
from voicecoach.timeline import Timeline, compile_programme
from voicecoach.timeline.estimate import check_session_length
from voicecoach.wavio import SAMPLE_RATE, mono_float32

FORMATS = tuple(AUDIO_FORMATS)
"""Track formats `build` can write (audio/encode.py lists them)."""

DEFAULT_LOUDNESS = -16.0
"""Integrated loudness of a track (LUFS) unless --loudness says otherwise."""
LOUDNESS_RANGE = (-30.0, -9.0)
"""Loudness targets --loudness accepts (LUFS)."""
DEFAULT_ARTIST = "voicecoach"
"""A track's artist when the programme has no `author:` (and no clinic name is given)."""

PhraseProgress = Callable[[int, int, str], None]
"""progress(done, total, text) while phrases are synthesised."""


@dataclass(frozen=True)
class VoiceOverride:
    """Command-line changes to the programme's voice (None: keep the programme's)."""

    engine: str | None = None
    """Speech engine name."""
    name: str | None = None
    """Voice name."""
    rate: int | None = None
    """Words per minute."""

    def apply(self, voice: Voice) -> Voice:
        """VOICE with these overrides applied.

        Another engine drops the programme's voice name and options (they are for its
        engine).
        """
        other_engine = None not in (self.engine, voice.engine) and self.engine != voice.engine
        kept_name = None if other_engine else voice.name
        sources = {
            setting: where
            for setting, where in voice.sources.items()
            if not (setting == "rate" and self.rate is not None)
            and not (setting.startswith("options.") and other_engine)
        }
        return Voice(
            engine=self.engine or voice.engine,
            name=self.name if self.name is not None else kept_name,
            rate=self.rate if self.rate is not None else voice.rate,
            options=() if other_engine else voice.options,
            source=None if self.engine or self.name is not None else voice.source,
            sources=sources,
        )


LISTED_ENGINES = ("piper", "pyttsx3", "espeak-ng")
"""Engines `voicecoach voices` lists by default, the most natural first."""


def list_voices(
    language: str | None = None, engine: str | None = None
) -> tuple[list[VoiceInfo], list[str]]:
    """Every voice of ENGINE (None: of each listed engine that is installed), optionally
    only those for LANGUAGE; and a note for each engine that can't run."""
    found: list[VoiceInfo] = []
    notes: list[str] = []
    for name in (engine,) if engine else LISTED_ENGINES:
        speech = get_engine(name)
        try:
            speech.check()
            found += speech.voices(language)
        except SpeechError as err:
            if engine:
                raise
            notes.append(err.message)
        finally:
            close = getattr(speech, "close", None)
            if close is not None:
                close()
    return found, notes


def demo_programme() -> Path:
    """The bundled demo programme file."""
    return Path(str(resources.files("voicecoach") / "examples" / "hip-stability.yaml"))


def slugify(title: str, fallback: str = "session") -> str:
    """A safe file name stem from a title: lowercase ASCII words joined by '-'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].rstrip("-")
    if not title.strip():
        return fallback
    if len(slug) < len(title.strip()) / 2:  # mostly non-Latin: keep names distinct
        digest = hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug or fallback}-{digest}"
    return slug


def load(
    script: str | Path | None,
    library: str | Path | None = None,
    voice: VoiceOverride | None = None,
    recordings: str | Path | None = None,
    music: str | Path | None = None,
) -> Programme:
    """Load SCRIPT (None: the bundled demo), with optional library, voice and music
    (``--music``) overrides.

    Also refuses a session whose doses alone pass the length limit, and music or a
    tone folder that cannot be used, so `validate` catches them without synthesising
    anything.
    """
    programme = load_programme(script if script is not None else demo_programme(), library)
    check_session_length(programme.exercises)  # quick, before anything is laid out
    if recordings is not None:
        programme = replace(programme, recordings=Path(recordings))
    if music is not None:
        path = Path(music).expanduser().absolute()
        sound = replace(programme.sound, music=path, music_source=None)
        programme = replace(programme, sound=sound)
    check_sound(programme)
    chosen = voice.apply(programme.voice) if voice is not None else programme.voice
    if chosen.engine is None:  # the most natural voice installed for the language
        engine, name = best_voice(programme.language, chosen.name)
        chosen = replace(chosen, engine=engine, name=name)
    if chosen.name is None:  # speak the programme's language, not the engine's default
        chosen = replace(chosen, name=programme.language)
    if chosen.engine not in engine_names():
        known = ", ".join(engine_names())
        message = f"voice.engine: no speech engine '{chosen.engine}'; available: {known}"
        if chosen.source is None:
            raise SpeechError(message.removeprefix("voice.engine: "))
        raise ScriptError(message, chosen.source)
    check_voice_settings(chosen)
    programme = replace(programme, voice=chosen)
    compile_programme(programme, estimate_duration)  # what compiling refuses, refused now
    return programme


def check_voice_settings(voice: Voice) -> None:
    """The engine's own check of VOICE's rate and options: a ScriptError where the
    programme sets them, a SpeechError naming the option when the command line did."""
    engine = get_engine(voice.engine)
    try:
        check_settings(engine, voice)
    except VoiceSettingError as err:
        where = voice.where(err.setting)
        if where is None:
            raise SpeechError(f"--{err.setting}: {err.message}") from None
        raise ScriptError(f"voice.{err.setting}: {err.message}", where) from None
    finally:
        engine.close()


def check_voice(programme: Programme, cache_dir: str | Path | None = None) -> None:
    """Refuse a voice the engine does not have, as `build` would (saying one phrase,
    which the cache keeps for the build; nothing to do once it is there)."""
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    engine = get_engine(programme.voice.engine)
    try:
        if entry_path(folder, engine, programme.voice, programme.title).is_file():
            return
    finally:
        engine.close()
    cache = open_cache(programme, cache_dir, speakers=1)
    try:
        cache.duration(programme.title, programme.voice)
    except UnknownVoiceError as err:
        if programme.voice.source is None:
            raise
        raise ScriptError(f"voice: {err.message}", programme.voice.source) from None
    finally:
        cache.engine.close()


def open_cache(
    programme: Programme, cache_dir: str | Path | None = None, speakers: int | None = None
) -> ProgrammeSpeech:
    """The programme's lines: its recordings, else its engine (checked to be usable)
    saying them with its pronunciations through a phrase cache, with SPEAKERS engines
    synthesising at once (default: one per CPU core)."""
    name = programme.voice.engine
    engine = get_engine(name)
    engine.check()
    speakers = speakers if speakers is not None else os.cpu_count() or 1
    cache = PhraseCache(
        engine, cache_dir, engine_factory=lambda: get_engine(name), workers=speakers
    )
    recordings = Recordings(programme.recordings) if programme.recordings is not None else None
    return ProgrammeSpeech(cache, programme_pronunciation(programme), recordings)


def write_manifest(folder: Path, lines: list[str]) -> tuple[list[ManifestRow], int]:
    """FOLDER/phrases.csv with a row per line (rows already there kept); rows, added."""
    return update_manifest(folder, lines)


def unrecorded_warning(programme: Programme, timeline: Timeline, speech: ProgrammeSpeech) -> str:
    """The warning for lines without a recording ("" when all are recorded or no folder)."""
    if programme.recordings is None:
        return ""
    missing = speech.missing(timeline.phrases())
    if not missing:
        return ""
    total = len(timeline.phrases())
    folder = programme.recordings
    where = "" if folder.is_dir() else " (the folder does not exist)"
    script = programme.source.name if programme.source else "SCRIPT"
    return (
        f"{len(missing)} of {total} lines have no recording in {folder}{where} and use the "
        f"voice; `voicecoach phrases {script} --missing` lists them"
    )


def plan(
    programme: Programme,
    cache: PhraseCache,
    progress: PhraseProgress | None = None,
    *,
    track: TrackFormat | None = None,
) -> Timeline:
    """Compile with the real length of every phrase, synthesising what isn't cached.

    A first pass with estimated lengths lists (nearly) every phrase, so they can be
    synthesised up front with progress; the real pass starts the intro's "about N
    minutes" from the first pass's N (no other N is spoken unless the real length
    differs) and synthesises any stragglers. With TRACK (the track `build` makes next),
    each phrase spoken has its first level in that track's mix measured and stored by
    the speaker that spoke it, while the others speak (`measure_new_clips`).
    """
    then = None if track is None else measure_new_clips(programme, cache, track)
    try:
        estimate = compile_programme(programme, estimate_duration)
        cache.ensure(estimate.phrases(), programme.voice, progress, then)
        timeline = compile_programme(
            programme,
            lambda text: cache.duration(text, programme.voice),
            intro_minutes=max(1, round(estimate.duration / 60)),
        )
    except UnknownVoiceError as err:
        if programme.voice.source is None:  # the voice came from the command line
            raise
        raise ScriptError(f"voice: {err.message}", programme.voice.source) from None
    if isinstance(cache, ProgrammeSpeech) and (
        warning := unrecorded_warning(programme, timeline, cache)
    ):
        timeline = replace(timeline, warnings=(*timeline.warnings, warning))
    return timeline


@dataclass(frozen=True)
class TrackFormat:
    """The track a build writes, as far as its mix's levels go."""

    format: str = "mp3"
    """One of FORMATS."""
    bitrate: int | None = None
    """kbit/s (None: the format's default)."""
    loudness: float = DEFAULT_LOUDNESS
    """Integrated loudness target (LUFS)."""


def measure_new_clips(
    programme: Programme, cache: PhraseCache, track: TrackFormat
) -> Callable[[ClipLike], None]:
    """What to do with each clip a cold build speaks: store its level as TRACK's mix
    first looks it up (the clip at the track's loudness target, peaks at the clips'
    ceiling: `Mixer`'s reference level of a phrase), so the mix finds it stored. Run by
    the speakers, it shares their cores while they speak instead of waiting for the
    last phrase (and, with one speaker, costs what measuring it later would)."""
    levels = track_levels(mix_levels(programme, track.loudness), track.format, track.bitrate)
    store = LevelStore(cache.directory / "levels")
    ceiling = db_to_gain(levels.clip_peak_dbfs)

    def measure(clip: ClipLike) -> None:
        samples = mono_float32(clip.samples)
        content = getattr(clip, "content", "") or content_name(samples)
        store.level_of(
            content, len(samples), levels.track_lufs, ceiling, SAMPLE_RATE, lambda: samples
        )

    return measure


def default_output(programme: Programme, fmt: str = "mp3", folder: Path = Path("output")) -> Path:
    """output/<title-slug>.<fmt>."""
    return folder / f"{slugify(programme.title)}.{fmt}"


class OutputNameError(ValueError):
    """-o and --format disagree, or -o is no file name (a usage error)."""


def check_output(out: str | Path | None, fmt: str | None) -> tuple[Path | None, str]:
    """The track path (None: the default) and format from -o/--format.

    The format comes from OUT's suffix when not given; a name without a format suffix
    gets one. OutputNameError for an empty name, an unknown audio suffix, a suffix that
    contradicts FMT, or a name that is (or whose sidecars are) a folder or a device.
    """
    if out is None:
        return None, fmt or "mp3"
    path = Path(out)
    if not path.name:
        raise OutputNameError("needs a file name")
    _check_is_file(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        if fmt and fmt != suffix:
            raise OutputNameError(f"{out} ends in .{suffix} but --format is {fmt}")
    elif suffix.isalpha():
        known = ", ".join(f".{f}" for f in FORMATS)
        raise OutputNameError(f"{out}: .{suffix} is not one of {known}")
    else:
        fmt = fmt or "mp3"
        path, suffix = path.with_name(f"{path.name}.{fmt}"), fmt
    for written in (*astuple(sidecar_paths(path)), *page_names(path)):
        _check_is_file(written)
    return path, suffix


def _check_is_file(path: Path) -> None:
    """OutputNameError if PATH exists as anything but a regular file."""
    try:
        check_target(path)
    except AudioError as err:
        raise OutputNameError(err.message.removeprefix("cannot write ")) from None


def music_settings(programme: Programme) -> MusicSettings | None:
    """The programme's music bed settings (None: no music)."""
    sound = programme.sound
    if sound.music is None:
        return None
    return MusicSettings(sound.music, sound.music_level, sound.music_duck, sound.music_source)


def check_sound(programme: Programme) -> None:
    """Refuse music that ffmpeg cannot read and a tone folder that lacks a tone
    (located at `music:` / `tones:`), without decoding either."""
    settings = music_settings(programme)
    if settings is not None:
        try:
            probe_audio(settings.path)
        except DecodeError as err:
            raise settings.error(str(err)) from None
    sound = programme.sound
    if sound.tone_folder is not None:
        try:
            tone_files(sound.tone_folder)
        except AudioError as err:
            raise _tones_error(programme, err) from None


def _tones_error(programme: Programme, err: AudioError) -> VoiceCoachError:
    """ERR about the tone folder, located at `tones:`."""
    source = programme.sound.tones_source
    if source is None:
        return err
    return ScriptError(f"tones: {err.message}", source)


def tones_for(programme: Programme) -> Mapping[str, ClipLike]:
    """The tones the programme's track plays (`tones:`; none with `tones: none`)."""
    sound = programme.sound
    if sound.voiced:
        return {}
    try:
        return load_tone_set(sound.tones, sound.tone_folder)
    except AudioError as err:
        raise _tones_error(programme, err) from None


def music_for(programme: Programme, timeline: Timeline) -> MusicBed | None:
    """The music bed under TIMELINE (decoded now), or None without music."""
    settings = music_settings(programme)
    if settings is None:
        return None
    source = decode_music(settings, SAMPLE_RATE)
    return MusicBed.for_timeline(source, timeline, settings, SAMPLE_RATE)


def mix_levels(programme: Programme, loudness: float = DEFAULT_LOUDNESS) -> MixLevels:
    """The mix's targets: the track's loudness and the tones' level from the programme."""
    return MixLevels(track_lufs=loudness, tone_offset_db=programme.sound.tone_level)


def assemble(
    programme: Programme,
    timeline: Timeline,
    cache: PhraseCache,
    loudness: float = DEFAULT_LOUDNESS,
) -> RenderAssembly:
    """TIMELINE with every phrase's clip (from the cache), the programme's tones and
    music bed, at its levels: what `build`, `play` and `library build` render, so they
    all sound the same (a WAV build and `play --sink wav:` give the same samples)."""
    speech = cache.clips(timeline.phrases(), programme.voice)
    return RenderAssembly(
        timeline,
        speech,
        tones_for(programme),
        mix_levels(programme, loudness),
        levels_dir=cache.directory / "levels",
        music=music_for(programme, timeline),
        workers=cache.workers,  # the cores that spoke the phrases measure their levels
    )


def _store_time(directory: Path) -> float:
    """The time now by the clock that stamps files in DIRECTORY (a file's time may come
    from another clock, or be coarser, than this process's); -inf if it can't be told
    (then nothing is pruned)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory) as probe:
            return os.fstat(probe.fileno()).st_mtime
    except OSError:
        return -math.inf


def build(
    programme: Programme,
    timeline: Timeline,
    cache: PhraseCache,
    out: Path,
    fmt: str = "mp3",
    progress: Callable[[float, float], None] | None = None,
    page: bool = True,
    *,
    bitrate: int | None = None,
    loudness: float = DEFAULT_LOUDNESS,
    artist: str | None = None,
) -> TrackFiles:
    """Render TIMELINE and write the track with its .vtt and .timeline.json (and, when
    PAGE, the player page, the handout and the exercises' images), all or nothing.

    The artist is the programme's `author:`, else ARTIST (e.g. a clinic's name), else
    "voicecoach".
    """
    started, stored = _store_time(cache.directory / "levels"), written_bytes()
    files = write_track(
        assemble(programme, timeline, cache, loudness),
        out,
        format=fmt,
        title=programme.title,
        album=programme.title,
        artist=programme.author or artist or DEFAULT_ARTIST,
        progress=progress,
        extra=page_files(programme, timeline, out) if page else None,
        bitrate=bitrate,
    )
    if written_bytes() > stored:  # only what stores something can go past the budget
        prune_levels(cache.directory / "levels", keep_since=started)
    return files
