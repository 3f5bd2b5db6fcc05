"""The command line: a thin click layer over the pipeline.

Every problem the user can fix is a VoiceCoachError, printed as one line
`error: FILE:LINE:COL: message` with exit code 1 (the traceback only with --debug).
"""

from __future__ import annotations

import math
import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any, NoReturn

import click

from voicecoach import __version__, pipeline
from voicecoach.atomic import TERMINATION_SIGNALS, signals_as_interrupt
from voicecoach.audio import LOUDNESS_TOLERANCE
from voicecoach.audio.encode import find_ffmpeg
from voicecoach.audio.sidecars import timeline_json_text
from voicecoach.cli_options import sound_options, speech_options
from voicecoach.errors import VoiceCoachError
from voicecoach.page import page_names
from voicecoach.phrases import LANGUAGES, PhraseBook
from voicecoach.printable import printable
from voicecoach.speech.choice import voice_label
from voicecoach.timeline import Timeline
from voicecoach.timeline.clock import clock


class _Group(click.Group):
    """Runs commands so that project errors become one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with signals_as_interrupt(*TERMINATION_SIGNALS):
                return super().invoke(ctx)
        except VoiceCoachError as err:
            _fail(ctx, err, *err.lines())
        except KeyboardInterrupt as err:
            _fail(ctx, err, "interrupted; no partial files were left")
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # the reader left (`| head`): stop quietly, as a pipe tool does
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except Exception as err:  # a bug: still one line, the traceback with --debug
            _fail(ctx, err, f"internal error: {type(err).__name__}: {err} (--debug shows more)")


def _fail(ctx: click.Context, err: BaseException, *lines: str) -> NoReturn:
    if (ctx.obj or {}).get("debug"):
        traceback.print_exception(err)
    for line in lines:
        report("error", line)
    ctx.exit(1)


def report(kind: str, message: object) -> None:
    """One `kind: message` line on stderr, anything a terminal could act on escaped."""
    click.echo(f"{kind}: {printable(str(message))}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for bug reports.")
@click.version_option(__version__, prog_name="voicecoach")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Turn a written exercise programme into a voice-guided audio session."""
    ctx.ensure_object(dict)["debug"] = debug
    if not debug:
        warnings.showwarning = _one_line_warning


def _one_line_warning(message: Warning | str, *_: object, **__: object) -> None:
    """Python warnings (e.g. an unwritable cache) as one `warning:` line."""
    report("warning", message)


@main.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path())
@click.option("--library", type=click.Path(file_okay=False), help="Exercise library folder.")
def validate(scripts: tuple[str, ...], library: str | None) -> None:
    """Check programme files; exit 1 with located errors if any is invalid."""
    failed = 0
    for script in scripts:
        try:
            programme = pipeline.load(script, library)
            if programme.voice.source is not None:  # the programme names a voice
                pipeline.check_voice(programme)
        except VoiceCoachError as err:
            failed += 1
            for line in err.lines():
                report("error", line)
            continue
        for warning in programme.warnings:
            report("warning", warning)
        count = len(programme.exercises)
        click.echo(f"ok: {printable(script)} ({count} exercise{'s' if count != 1 else ''})")
    if failed:
        sys.exit(1)


def _prepare(
    script: str | None,
    library: str | None,
    engine: str | None,
    voice_name: str | None,
    rate: int | None,
    cache_dir: str | None,
    recordings: str | None = None,
    quiet: bool = False,
    music: str | None = None,
    track: pipeline.TrackFormat | None = None,
) -> tuple[pipeline.Programme, Timeline, pipeline.ProgrammeSpeech]:
    override = pipeline.VoiceOverride(engine, voice_name, rate)
    programme = pipeline.load(script, library, override, recordings, music)
    for warning in programme.warnings:
        report("warning", warning)
    cache = pipeline.open_cache(programme, cache_dir)
    with _Progress("speaking", quiet) as progress:
        timeline = pipeline.plan(programme, cache, progress.phrases, track=track)
    for warning in timeline.warnings:
        report("warning", warning)
    return programme, timeline, cache


@main.command()
@click.argument("script", required=False, type=click.Path())
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), help="Track to write.")
@click.option(
    "--format", "fmt", type=click.Choice(pipeline.FORMATS), help="Track format (default: mp3)."
)
@click.option(
    "--no-page", "no_page", is_flag=True, help="Skip the player page, handout and images."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary.")
@speech_options()
@sound_options()
def build(
    script: str | None,
    out: str | None,
    fmt: str | None,
    no_page: bool,
    quiet: bool,
    loudness: float,
    bitrate: int | None,
    **options: Any,
) -> None:
    """Build the track (no SCRIPT: the bundled demo) with its .vtt and .timeline.json,
    and the player page NAME.html with the printable NAME.handout.html."""
    try:
        path, fmt = pipeline.check_output(out, fmt)
    except pipeline.OutputNameError as err:
        raise click.BadParameter(str(err), param_hint="'-o'") from None
    if bitrate is not None and fmt == "wav":
        raise click.BadParameter("wav is uncompressed: it takes no bitrate", param_hint="--bitrate")
    find_ffmpeg()  # before any speech is synthesised
    track = pipeline.TrackFormat(fmt, bitrate, loudness)
    programme, timeline, cache = _prepare(script, quiet=quiet, track=track, **options)
    path = path or pipeline.default_output(programme, fmt)
    with _Progress("encoding", quiet) as progress:
        files = pipeline.build(
            programme,
            timeline,
            cache,
            path,
            fmt,
            progress.seconds,
            bitrate=bitrate,
            loudness=loudness,
            page=not no_page,
        )
    if not quiet:
        beside = [Path(files.captions).name, Path(files.timeline).name]
        if not no_page:
            beside += [p.name for p in page_names(files.track)]
        click.echo(
            printable(
                f"wrote {files.track} ({clock(timeline.duration, tenths=True)}, "
                f"{len(timeline.chapters)} "
                f"chapters) with {', '.join(beside[:-1])} and {beside[-1]}"
            )
        )
        click.echo(
            f"{len(timeline.phrases())} distinct phrases, {cache.synthesized} newly synthesised, "
            f"spoken by {voice_label(programme.voice)}",
            err=True,
        )


@main.command()
@click.argument("script", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the timeline JSON.")
@speech_options()
def plan(script: str, as_json: bool, **options: Any) -> None:
    """Show the timeline: when each thing is said or played."""
    _, timeline, _ = _prepare(script, quiet=as_json, **options)
    if as_json:
        click.echo(timeline_json_text(timeline), nl=False)
    else:
        click.echo("\n".join(map(printable, format_plan(timeline).split("\n"))))


@main.command()
@click.argument("script", required=False, type=click.Path())
@click.option("--keys", is_flag=True, help="List every phrase key with its wording instead.")
@click.option("--language", help="With --keys and no SCRIPT: the phrase pack (default: en).")
@click.option(
    "--manifest",
    type=click.Path(file_okay=False),
    help="Write DIR/phrases.csv (file,text) to record the lines under; keeps rows already there.",
)
@click.option("--missing", is_flag=True, help="Only the lines that have no recording.")
@speech_options()
def phrases(
    script: str | None,
    keys: bool,
    language: str | None,
    manifest: str | None,
    missing: bool,
    **options: Any,
) -> None:
    """Every line the track will speak, once each (e.g. for recording them).

    With --manifest DIR: write them to DIR/phrases.csv with a file name to record each
    under. With --missing: only the lines without a recording. With --keys: every
    phrase key and its wording (the programme's own where its `phrases:` sets one),
    the keys a `phrases:` mapping may reword.
    """
    if not keys:
        if script is None or language is not None:
            raise click.UsageError("give SCRIPT (or --keys [--language xx] for the phrase keys)")
        _lines(script, manifest, missing, options)
        return
    if script is not None and language is not None:
        raise click.UsageError("--language lists a pack; with SCRIPT the programme's is used")
    if language is not None and language.lower() not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        message = f"no phrase pack for {printable(language)!r}; available: {known}"
        raise click.BadParameter(message, param_hint="'--language'")
    own: dict[str, str] = {}
    if script is not None:
        programme = pipeline.load(script, options["library"])
        language, own = programme.language, dict(programme.phrases)
    book = PhraseBook.for_language((language or "en").lower()).with_overrides(own)
    width = max(map(len, book.pack.table))
    for key in book.pack.table:
        mark = "  (programme)" if key in own else ""
        click.echo(f"{key:{width}}  {printable(book.template(key))}{mark}")


def _lines(script: str, manifest: str | None, missing: bool, options: dict[str, Any]) -> None:
    """`phrases SCRIPT`: the lines, only the unrecorded ones, or written as a manifest."""
    programme, timeline, speech = _prepare(script, quiet=True, **options)
    lines = timeline.phrases()
    if missing:
        if programme.recordings is None:
            raise click.UsageError("--missing needs `recordings:` in the programme or --recordings")
        lines = speech.missing(lines)
    if manifest is not None:
        rows, added = pipeline.write_manifest(Path(manifest), lines)
        click.echo(
            f"wrote {Path(manifest) / 'phrases.csv'}: {len(rows)} lines to record "
            f"({added} new); name each clip after its row, any audio format",
            err=True,
        )
        return
    for text in lines:
        click.echo(printable(text))


def _play_start(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from voicecoach.live import parse_start

    try:
        return None if value is None else parse_start(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from err


@main.command()
@click.argument("script", required=False, type=click.Path())
@click.option(
    "--sink",
    "sink_spec",
    default="default",
    show_default=True,
    metavar="default|null|wav:PATH",
    help="Where the sound goes: the sound device (real time), or null / a WAV file "
    "(as fast as possible, no real-time pacing).",
)
@click.option(
    "--from",
    "start",
    metavar="N|M:SS",
    callback=_play_start,
    help="Start at exercise N (1-based) or at a time into the session.",
)
@speech_options()
@sound_options(bitrate=False)
def play(script: str | None, sink_spec: str, start: Any, loudness: float, **options: Any) -> None:
    """Play the session live (no SCRIPT: the bundled demo).

    Keys while playing in a terminal: space pause/resume, n next, p previous, q quit.
    Ctrl-C stops too (a WAV then holds what was played). With --sink null or
    wav:PATH nothing waits for real time: the session is rendered as fast as possible.
    """
    from voicecoach import live

    try:
        sink = live.parse_sink(sink_spec)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--sink") from err
    sink.check()
    programme, timeline, cache = _prepare(script, **options)
    try:
        seconds = live.start_seconds(timeline, start) if start is not None else 0.0
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--from") from err
    mixer = pipeline.assemble(programme, timeline, cache, loudness).mixer()
    reached = mixer.estimate()
    if mixer.at_loudest and reached < loudness - LOUDNESS_TOLERANCE:
        report(
            "warning",
            f"the session plays at {reached:.1f} LUFS at most, not the {loudness:.1f} LUFS "
            f"asked for: under the {mixer.levels.true_peak_dbtp:+.1f} dBTP true-peak ceiling "
            f"it can't be made louder without crushing it; play with --loudness "
            f"{math.floor(reached)} or lower",
        )
    final = live.play_session(mixer, sink, seconds)
    click.echo(printable(live.summary(final, timeline.duration)), err=True)


@main.command()
@click.option("--language", help="Only voices for this language, e.g. en or nl.")
@click.option("--engine", help="Only this engine's voices (default: every installed engine).")
def voices(language: str | None, engine: str | None) -> None:
    """List the voices to write in `voice:`, the most natural first."""
    found, notes = pipeline.list_voices(language, engine)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if not found:
        wanted = f" for language {language!r}" if language else ""
        raise VoiceCoachError(f"no voices{wanted}" + (f" ({notes[0]})" if notes else ""))
    rows = [("ENGINE", "NAME", "LANGUAGE", "QUALITY", "DESCRIPTION")]
    rows += [(v.engine, v.id, ", ".join(v.languages), v.quality, v.name) for v in found]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo(printable("  ".join([*cells, row[4]]).rstrip()))


def format_plan(timeline: Timeline) -> str:
    """The timeline as a readable table: time, chapter, what is said or played."""
    tones = f"{len(timeline.tones())} tones"
    if timeline.marks:  # tones: none
        tones = "no tones: the voice calls each phase"
    lines = [
        f"{timeline.title}: {clock(timeline.duration, tenths=True)} "
        f"({len(timeline.chapters)} chapters, {len(timeline.speech())} spoken lines, {tones})",
        "",
        f"{'time':>8}  {'chapter':24}  what",
    ]
    chapter_titles = [(c.start, c.title) for c in timeline.chapters]
    for event in timeline.events:
        title = next(t for s, t in reversed(chapter_titles) if s <= event.start + 1e-9)
        where = [x for x in (event.side, f"set {event.set}" if event.set else None) if x]
        if event.rep:
            where.append(f"rep {event.rep}")
        context = f"  [{', '.join(where)}]" if where else ""
        what = f'"{event.text}"' if event.kind == "speech" else f"♪ {event.tone}"
        lines.append(f"{clock(event.start, tenths=True):>8}  {title[:24]:24}  {what}{context}")
    lines.append(f"{clock(timeline.duration, tenths=True):>8}  {'':24}  end of track")
    return "\n".join(lines)


class _Progress:
    """A progress bar on stderr for synthesis (hidden when not a terminal or quiet)."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.label = label
        self.quiet = quiet or not sys.stderr.isatty()
        self.bar: Any = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.render_finish()

    def phrases(self, done: int, total: int, text: str) -> None:
        """Called after each phrase."""
        if self.quiet:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
        self.bar.update(1)

    def seconds(self, done: float, total: float) -> None:
        """Called while encoding."""
        if self.quiet:
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=max(1, int(total)), label=self.label, file=sys.stderr
            )
        self.bar.update(int(done) - self.bar.pos)


from voicecoach.cli_cache import cache as cache_group  # noqa: E402
from voicecoach.cli_library import library as library_group  # noqa: E402

main.add_command(library_group)
main.add_command(cache_group)

if __name__ == "__main__":
    main()
