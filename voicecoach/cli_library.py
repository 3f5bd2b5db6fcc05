"""`voicecoach library ...`: the click commands over `voicecoach.library`.

Registered on the main group in `voicecoach/cli.py`, whose error handling turns a
VoiceCoachError (or an interruption) into one `error: ...` line and exit 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voicecoach.cli_options import sound_options, speech_options
from voicecoach.library.builder import build_library
from voicecoach.library.fingerprint import BuildSettings
from voicecoach.library.sources import TRACK_FORMAT
from voicecoach.pipeline import FORMATS
from voicecoach.printable import printable


@click.group("library")
def library() -> None:
    """Build every programme of an exercise library into tracks."""


@library.command("build")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(file_okay=False),
    help="Output folder (default: SRC/output).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Programmes built at once (default: the number of CPUs).",
)
@click.option("--force", is_flag=True, help="Rebuild every programme, even if up to date.")
@click.option(
    "--title",
    help="The index page's title (default: 'Exercise programmes' in the library's language).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=TRACK_FORMAT,
    show_default=True,
    help="Track format.",
)
@click.option(
    "--author",
    help="Artist of the tracks whose programme has no `author:` (e.g. the clinic's name).",
)
@speech_options(library=False)
@sound_options()
@click.option("-q", "--quiet", is_flag=True, help="Only errors, warnings and the summary.")
def build(
    src: str,
    out: str | None,
    jobs: int | None,
    force: bool,
    title: str | None,
    fmt: str,
    author: str | None,
    engine: str | None,
    voice_name: str | None,
    rate: int | None,
    cache_dir: str | None,
    music: str | None,
    loudness: float,
    bitrate: int | None,
    quiet: bool,
) -> None:
    """Build SRC/programmes/*.yaml (using SRC/exercises/) into OUT.

    Writes OUT/NAME.mp3 (or --format) with NAME.vtt, NAME.timeline.json, the player page NAME.html
    and NAME.handout.html per programme (NAME: the programme's file name without
    .yaml, lowercase-with-dashes), and OUT/index.html, library.m3u8 and manifest.json.
    Programmes whose inputs didn't change are skipped; tracks of programmes removed
    from SRC are deleted. Exit 1 if any programme failed (the others are built).
    """

    def report(kind: str, message: str) -> None:
        if kind in ("error", "warning"):
            click.echo(f"{kind}: {printable(message)}", err=True)
        elif kind == "waiting":
            click.echo(printable(message), err=True)
        elif not quiet:
            click.echo(printable(message))

    if bitrate is not None and fmt == "wav":
        raise click.BadParameter("wav is uncompressed: it takes no bitrate", param_hint="--bitrate")
    settings = BuildSettings(
        engine=engine,
        voice=voice_name,
        rate=rate,
        format=fmt,
        bitrate=bitrate,
        loudness=loudness,
        music=None if music is None else str(Path(music).expanduser().absolute()),
        author=author,
    )
    result = build_library(
        src,
        out,
        workers=jobs,
        force=force,
        settings=settings,
        cache_dir=cache_dir,
        report=report,
        title=title,
    )
    click.echo(printable(f"{result.summary()} (output in {result.out})"))
    if result.failed:
        sys.exit(1)
