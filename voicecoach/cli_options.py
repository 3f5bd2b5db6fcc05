"""Click options shared by every command that speaks (`build`, `plan`, `play`, `library`)."""

from __future__ import annotations

from collections.abc import Callable

import click


def speech_options(*, library: bool = True) -> Callable[[Callable], Callable]:
    """--engine/--voice/--rate/--cache-dir, and --library unless LIBRARY is False."""
    options = [
        click.option("--engine", help="Speech engine (see `voicecoach voices`)."),
        click.option("--voice", "voice_name", help="Voice name, e.g. en-gb."),
        click.option("--rate", type=click.IntRange(1, 1000), help="Words per minute."),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False),
            envvar="VOICECOACH_CACHE_DIR",
            help="Phrase cache folder [env VOICECOACH_CACHE_DIR].",
        ),
    ]
    if library:  # a single programme's recordings (a library's programmes each name theirs)
        options.append(
            click.option(
                "--recordings",
                type=click.Path(file_okay=False),
                help="Folder of recorded lines (phrases.csv + clips); overrides `recordings:`.",
            )
        )
    if library:
        options.insert(
            0,
            click.option(
                "--library",
                type=click.Path(file_okay=False),
                help="Exercise library folder for `use:`.",
            ),
        )

    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def sound_options(*, bitrate: bool = True) -> Callable[[Callable], Callable]:
    """--music and --loudness, and --bitrate unless BITRATE is False (for `play`)."""
    from voicecoach.audio.encode import BITRATE_RANGE
    from voicecoach.pipeline import DEFAULT_LOUDNESS, LOUDNESS_RANGE

    options = [
        click.option(
            "--music",
            type=click.Path(dir_okay=False),
            help="Music to play under the session (any format ffmpeg reads); "
            "replaces the programme's `music:`.",
        ),
        click.option(
            "--loudness",
            type=click.FloatRange(*LOUDNESS_RANGE),
            default=DEFAULT_LOUDNESS,
            show_default=True,
            metavar="LUFS",
            help="Integrated loudness of the track. Speech may not fit under the -1 dBTP "
            "true-peak ceiling much above -14: a warning then says how loud it is.",
        ),
    ]
    if bitrate:
        options.append(
            click.option(
                "--bitrate",
                type=click.IntRange(*BITRATE_RANGE),
                metavar="KBPS",
                help="Bitrate of mp3, m4a or ogg in kbit/s (default: 96, 96, 64).",
            )
        )

    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate
