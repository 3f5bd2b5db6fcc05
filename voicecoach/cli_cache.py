"""`voicecoach cache verify|clear`: the click commands over the phrase cache's upkeep.

Registered on the main group in `voicecoach/cli.py` (one-line errors, exit 1).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from voicecoach.errors import VoiceCoachError
from voicecoach.printable import printable
from voicecoach.speech.base import SpeechEngine
from voicecoach.speech.cache import default_cache_dir
from voicecoach.speech.cache_verify import clear_cache, verify_cache
from voicecoach.speech.registry import engine_names, get_engine

_CACHE_DIR = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="VOICECOACH_CACHE_DIR",
    help="Phrase cache folder [env VOICECOACH_CACHE_DIR].",
)


@click.group("cache")
def cache() -> None:
    """Check or empty the phrase cache."""


@cache.command("verify")
@_CACHE_DIR
@click.option(
    "--resynthesize",
    is_flag=True,
    help="Also speak every entry again and remove those that come out differently.",
)
def verify(cache_dir: str | None, resynthesize: bool) -> None:
    """Check every cached phrase; remove damaged, outdated and suspect entries."""
    directory = _directory(cache_dir)
    report = verify_cache(directory, _engine_for, resynthesize=resynthesize)
    for item in report.removed:
        what = f" ({printable(item.phrase)!r})" if item.phrase is not None else ""
        click.echo(f"removed {item.path.relative_to(directory)}{what}: {item.reason}")
    click.echo(
        f"checked {report.checked} entries in {directory}: {report.kept} good, "
        f"{len(report.removed)} removed"
    )


@cache.command("clear")
@_CACHE_DIR
def clear(cache_dir: str | None) -> None:
    """Remove every cached phrase (they are spoken again when next needed)."""
    directory = _directory(cache_dir)
    count, size = clear_cache(directory)
    click.echo(f"removed {count} entries ({size / 2**20:.1f} MB) from {directory}")


def _directory(cache_dir: str | None) -> Path:
    directory = Path(cache_dir) if cache_dir else default_cache_dir()
    if directory.exists() and not directory.is_dir():
        raise VoiceCoachError(f"the cache folder {directory} is not a folder")
    return directory


def _engine_for(name: str) -> SpeechEngine | None:
    """The registered engine NAME, if it is registered and can run here."""
    if name not in engine_names():
        return None
    engine = get_engine(name)
    try:
        engine.check()
    except VoiceCoachError:
        with contextlib.suppress(Exception):
            getattr(engine, "close", lambda: None)()
        return None
    return engine
