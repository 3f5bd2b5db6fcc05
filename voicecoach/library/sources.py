"""A library folder: programmes to build, the exercises they use, and where tracks go.

SRC/programmes/*.yaml (or .yml) are the programmes, one track each, named by the file's
stem; SRC/exercises/*.yaml is the `use:` library of every programme; OUT (default
SRC/output) gets the tracks with their sidecars, index.html, library.m3u8, manifest.json.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from pathlib import Path

from voicecoach.audio import sidecar_paths
from voicecoach.errors import VoiceCoachError
from voicecoach.page import page_names
from voicecoach.pipeline import slugify

PROGRAMMES_DIR = "programmes"
"""Sub-folder of SRC holding the programmes."""
EXERCISES_DIR = "exercises"
"""Sub-folder of SRC holding the exercise library."""
DEFAULT_OUTPUT_DIR = "output"
"""Sub-folder of SRC the tracks go to when no -o is given."""
PROGRAMME_SUFFIXES = (".yaml", ".yml")
"""File name endings of programme and exercise files."""
TRACK_FORMAT = "mp3"
"""The format library tracks are written in unless `--format` says otherwise."""

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class ProgrammeFile:
    """One programme in the library and the track name it builds."""

    path: Path
    """The programme file (SRC/programmes/NAME.yaml, as the user named SRC)."""
    slug: str
    """Track name: slugify(file stem); OUT/<slug>.mp3."""

    @property
    def relative(self) -> str:
        """The file relative to SRC, e.g. "programmes/hips.yaml" (how the manifest names it)."""
        return f"{PROGRAMMES_DIR}/{self.path.name}"


def default_output(src: Path) -> Path:
    """Where a library's tracks go when no -o is given: SRC/output."""
    return src / DEFAULT_OUTPUT_DIR


def discover(src: Path) -> list[ProgrammeFile]:
    """Every visible programme file in SRC/programmes, sorted by name (error if no folder)."""
    folder = src / PROGRAMMES_DIR
    if not folder.is_dir():
        raise VoiceCoachError(
            f"{folder}: no such folder; a library is SRC/programmes/*.yaml "
            f"(and SRC/exercises/*.yaml for `use:`)"
        )
    files = sorted(p for p in folder.iterdir() if is_yaml_file(p))
    return [ProgrammeFile(p, slugify(p.stem, fallback="programme")) for p in files]


def is_yaml_file(path: Path) -> bool:
    """A visible .yaml/.yml file (hidden ones are editor or OS litter, e.g. `._x.yaml`)."""
    return (
        not path.name.startswith(".")
        and path.suffix.lower() in PROGRAMME_SUFFIXES
        and path.is_file()
    )


def slug_collisions(programmes: list[ProgrammeFile]) -> dict[Path, str]:
    """An error message for each programme whose track name another programme also makes."""
    by_slug: dict[str, list[ProgrammeFile]] = {}
    for programme in programmes:
        by_slug.setdefault(programme.slug, []).append(programme)
    errors = {}
    for slug, group in by_slug.items():
        if len(group) < 2:
            continue
        for programme in group:
            others = ", ".join(str(o.path) for o in group if o is not programme)
            errors[programme.path] = (
                f"the track name '{slug}' is also made by {others}; rename one of them"
            )
    return errors


def output_names(slug: str, fmt: str) -> tuple[str, ...]:
    """The files one programme's build always writes in OUT: track (in FMT), captions,
    timeline, player page, handout (the exercises' images, NAME.image-N.EXT, come after
    them); named by the same functions `build` writes them with."""
    track = Path(f"{slug}.{fmt}")
    return tuple(path.name for path in (*astuple(sidecar_paths(track)), *page_names(track)))


def is_plain_name(name: object) -> bool:
    """Whether NAME is a plain, visible file name (no folders, no '..', no leading dot)."""
    return isinstance(name, str) and len(name) <= 255 and bool(_PLAIN_NAME.match(name))


def inside(out: Path, name: str) -> Path:
    """OUT/NAME, refusing any NAME that would lead outside OUT."""
    if not is_plain_name(name):
        raise VoiceCoachError(f"refusing to touch {name!r}: not a plain file name inside {out}")
    path = out / name
    if path.parent.resolve() != out.resolve():
        raise VoiceCoachError(f"refusing to touch {path}: it is outside {out}")
    return path
