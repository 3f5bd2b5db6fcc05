"""The pages beside a track: NAME.html (the player) and NAME.handout.html (to print),
with each exercise's image copied beside them.

Pure text generation from the programme and its timeline; the caller writes the files
(together with the track, all or nothing).
"""

from __future__ import annotations

from pathlib import Path

from voicecoach.page.handout import handout_html
from voicecoach.page.player import player_html
from voicecoach.script.model import Programme
from voicecoach.timeline.model import Timeline

__all__ = ["handout_html", "page_files", "page_names", "player_html"]


def page_names(track: Path) -> tuple[Path, Path]:
    """The player page and the handout beside TRACK: NAME.html, NAME.handout.html."""
    return track.with_suffix(".html"), track.with_suffix(".handout.html")


def image_names(programme: Programme, track: Path) -> dict[int, Path]:
    """Where each exercise's image is copied: NAME.image-N.EXT beside TRACK (one copy
    per distinct source file, N counting the copies)."""
    copies: dict[Path, Path] = {}
    names: dict[int, Path] = {}
    for index, exercise in enumerate(programme.exercises):
        if exercise.image is None:
            continue
        if exercise.image not in copies:
            name = f"{track.stem}.image-{len(copies) + 1}{exercise.image.suffix.lower()}"
            copies[exercise.image] = track.with_name(name)
        names[index] = copies[exercise.image]
    return names


def page_files(programme: Programme, timeline: Timeline, track: Path) -> dict[Path, str | bytes]:
    """{path: contents} of the player page, the handout and the images beside TRACK."""
    player, handout = page_names(track)
    images = image_names(programme, track)
    shown = {index: path.name for index, path in images.items()}
    files: dict[Path, str | bytes] = {
        player: player_html(programme, timeline, track.name, images=shown, handout=handout.name),
        handout: handout_html(programme, timeline, images=shown, player=player.name),
    }
    for index, path in images.items():
        if path not in files:
            source = programme.exercises[index].image
            assert source is not None
            files[path] = source.read_bytes()
    return files
