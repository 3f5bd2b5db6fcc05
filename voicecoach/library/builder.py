"""Build a whole library: every programme that changed, in parallel, then the pages.

Nothing is written outside OUT: tracks are OUT/<slug>.*, the pages are OUT/index.html,
OUT/library.m3u8 and OUT/manifest.json (written together, atomically), and only files
the manifest lists are ever deleted. One build at a time writes to an OUT; a second
waits for it (`library/lock.py`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from voicecoach.atomic import TEMP_MARKER, TERMINATION_SIGNALS, atomic_outputs, signals_as_interrupt
from voicecoach.audio import load_tones
from voicecoach.errors import VoiceCoachError
from voicecoach.library.fingerprint import (
    UNREADABLE,
    BuildSettings,
    file_sha256,
    fingerprint,
    settings_digest,
    snapshot_exercises,
)
from voicecoach.library.jobs import Job, JobResult, run_jobs
from voicecoach.library.lock import output_lock
from voicecoach.library.manifest import (
    MANIFEST_NAME,
    TrackEntry,
    manifest_text,
    read_manifest,
)
from voicecoach.library.pages import (
    INDEX_NAME,
    PLAYLIST_NAME,
    index_html,
    library_title,
    playlist_m3u8,
)
from voicecoach.library.sources import (
    EXERCISES_DIR,
    ProgrammeFile,
    default_output,
    discover,
    inside,
    is_plain_name,
    output_names,
    slug_collisions,
)
from voicecoach.timeline.clock import clock
from voicecoach.timeline.model import Chapter

PAGE_NAMES = (MANIFEST_NAME, INDEX_NAME, PLAYLIST_NAME)
INTERRUPTED = "interrupted"
"""The fingerprint of a track recorded after an interruption (never up to date)."""
"""The library-wide files in OUT."""

Reporter = Callable[[str, str], None]
"""report(kind, message) as the build goes: kind is built, current, removed, warning,
error, or waiting (for another build of the same OUT)."""

_TEMP = re.compile(rf"^\.(?P<final>.+){re.escape(TEMP_MARKER)}[0-9a-f]{{8}}$")
_IMAGE = re.compile(r"^(?P<slug>.+)\.image-[0-9]+\.[a-z]+$")
"""An exercise image copied beside a programme's page."""


@dataclass(frozen=True)
class LibraryReport:
    """What one library build did."""

    out: Path
    """The output folder."""
    built: tuple[str, ...]
    """Slugs of the tracks built now."""
    up_to_date: tuple[str, ...]
    """Slugs of the tracks skipped because nothing they are built from changed."""
    failed: tuple[str, ...]
    """One `FILE:LINE:COL: message` line per programme that failed."""
    removed: tuple[str, ...]
    """Files deleted because their programme is gone."""
    seconds: float
    """Wall-clock time of the whole build."""

    def summary(self) -> str:
        """built N, up to date M, failed K, in T s."""
        return (
            f"built {len(self.built)}, up to date {len(self.up_to_date)}, "
            f"failed {len(self.failed)}, in {self.seconds:.1f} s"
        )


def default_workers(jobs: int) -> int:
    """The CPUs this process may use, capped at JOBS (at least 1)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, jobs))


def build_library(
    src: str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    force: bool = False,
    settings: BuildSettings | None = None,
    cache_dir: str | Path | None = None,
    report: Reporter | None = None,
    title: str | None = None,
) -> LibraryReport:
    """Build SRC/programmes/* into OUT (default SRC/output), skipping what is up to date.

    TITLE heads the index page (None: "Exercise programmes" in the library's language).

    A programme that fails is reported (and its earlier track kept) while the others
    are built. Ctrl-C or SIGTERM stops the workers, records what was finished and
    raises (KeyboardInterrupt or BuildInterrupted) with no partial files left in OUT.
    """
    settings = settings or BuildSettings()
    say = report or (lambda kind, message: None)
    src = Path(src)
    out = Path(out) if out is not None else default_output(src)
    programmes = discover(src)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoiceCoachError(f"cannot create the output folder {out}: {exc.strerror}") from exc
    waiting = output_lock(out, lambda message: say("waiting", message))
    with signals_as_interrupt(*TERMINATION_SIGNALS), waiting:
        started = time.monotonic()  # the time spent waiting for another build is not ours
        since = time.time()
        manifest = read_manifest(out)
        keep = _kept_names(programmes, settings.format)
        ours = keep.union(*(entry.files for entry in manifest.values()))
        _sweep_temporaries(out, ours)
        template = Job(
            source=src,
            slug="",
            relative="",
            out=out,
            library=src / EXERCISES_DIR,
            programme_sha="",
            snapshot=snapshot_exercises(src / EXERCISES_DIR),
            settings=settings,
            shared=settings_digest(settings, load_tones()),
            cache_dir=None if cache_dir is None else str(cache_dir),
        )
        entries = dict(manifest)
        built: list[str] = []
        removed = _remove_gone(out, programmes, entries, keep, say)
        jobs, current, failed = _select(programmes, manifest, out, force, say, template)

        reported: set[str] = set()

        def finished(job: Job, result: JobResult) -> None:
            reported.add(job.slug)
            for warning in result.warnings:
                say("warning", warning)
            if result.entry is None:
                failed.append(result.error or f"{job.source}: failed")
                say("error", failed[-1])
                return
            old = entries.get(job.slug)
            entries[job.slug] = result.entry
            built.append(job.slug)
            if old is not None:
                _delete(out, set(old.files) - keep - set(result.entry.files), say)
            say("built", _built_line(result.entry, result.seconds))

        try:
            count = workers or default_workers(len(jobs))
            speakers = max(1, (os.cpu_count() or 1) // count)  # the cores the jobs leave
            jobs = [replace(job, speakers=speakers) for job in jobs]
            run_jobs(jobs, count, finished)
        except BaseException:
            _sweep_temporaries(out, ours)
            with contextlib.suppress(Exception):  # record what was finished, if we can
                unreported = [job for job in jobs if job.slug not in reported]
                _recover_unreported(out, unreported, entries, since)
                _write_pages(out, title, entries)
            raise
        _sweep_temporaries(out, ours)
        _write_pages(out, title, entries)
    return LibraryReport(
        out, tuple(built), tuple(current), tuple(failed), removed, time.monotonic() - started
    )


def _select(
    programmes: list[ProgrammeFile],
    manifest: dict[str, TrackEntry],
    out: Path,
    force: bool,
    say: Reporter,
    template: Job,
) -> tuple[list[Job], list[str], list[str]]:
    """The jobs to run, the slugs that are up to date, and the programmes that can't build."""
    collisions = slug_collisions(programmes)
    jobs: list[Job] = []
    current: list[str] = []
    failed: list[str] = []
    for programme in programmes:
        if programme.path in collisions:
            failed.append(f"{programme.path}: {collisions[programme.path]}")
            say("error", failed[-1])
            continue
        sha = file_sha256(programme.path)
        entry = manifest.get(programme.slug)
        if not force and _is_current(entry, programme, sha, template, out):
            current.append(programme.slug)
            say(
                "current",
                f"{output_names(programme.slug, template.settings.format)[0]} is up to date",
            )
            continue
        jobs.append(
            replace(
                template,
                source=programme.path,
                slug=programme.slug,
                relative=programme.relative,
                programme_sha=sha,
            )
        )
    return jobs, current, failed


def _is_current(
    entry: TrackEntry | None,
    programme: ProgrammeFile,
    sha: str,
    template: Job,
    out: Path,
) -> bool:
    """Whether ENTRY is this programme's track, built from exactly today's inputs."""
    names = output_names(programme.slug, template.settings.format)
    return (
        entry is not None
        and sha != UNREADABLE
        and entry.source == programme.relative
        and entry.files[: len(names)] == names
        and entry.fingerprint
        == fingerprint(
            sha, entry.uses, template.snapshot, template.shared, (*entry.images, *entry.media)
        )
        and all((out / name).is_file() for name in entry.files)
    )


def _recover_unreported(
    out: Path, jobs: list[Job], entries: dict[str, TrackEntry], since: float
) -> None:
    """Record tracks that interrupted workers finished but could not report.

    A worker stopped just after its files were renamed into place leaves complete
    files that no manifest entry lists. Recording them (from their .timeline.json,
    with a fingerprint that never matches, so the next build redoes them) keeps the
    promise that the files of a programme removed later are removed too.
    """
    for job in jobs:
        names = output_names(job.slug, job.settings.format)
        paths = [out / name for name in names]
        try:
            if min(path.stat().st_mtime for path in paths) < since:
                continue  # from an earlier build
            data = json.loads(paths[2].read_text(encoding="utf-8"))
            chapters = tuple(Chapter.from_json(c) for c in data["chapters"])
            entries[job.slug] = TrackEntry(
                slug=job.slug,
                source=job.relative,
                title=str(data["title"]),
                fingerprint=INTERRUPTED,
                uses=(),
                files=names,
                duration=float(data["duration"]),
                chapters=chapters,
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue


def _kept_names(programmes: list[ProgrammeFile], fmt: str) -> set[str]:
    """The files in OUT this build writes (and so never deletes): pages and tracks."""
    names = set(PAGE_NAMES)
    for programme in programmes:
        names.update(output_names(programme.slug, fmt))
    return names


def _remove_gone(
    out: Path,
    programmes: list[ProgrammeFile],
    entries: dict[str, TrackEntry],
    keep: set[str],
    say: Reporter,
) -> tuple[str, ...]:
    """Delete the files of manifest entries whose programme is gone; drop the entries."""
    slugs = {programme.slug for programme in programmes}
    removed: list[str] = []
    for slug in sorted(set(entries) - slugs):
        entry = entries.pop(slug)
        removed += _delete(out, set(entry.files) - keep, say, f"({entry.source} is gone)")
    return tuple(removed)


def _delete(out: Path, names: set[str], say: Reporter, why: str = "") -> list[str]:
    """Delete OUT/NAME for each plain NAME that exists; the names deleted."""
    deleted = []
    for name in sorted(names):
        if not is_plain_name(name):
            continue
        path = inside(out, name)
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            say("warning", f"cannot remove {path}: {exc.strerror}")
            continue
        deleted.append(name)
        say("removed", f"removed {name} {why}".rstrip())
    return deleted


def _sweep_temporaries(out: Path, ours: set[str]) -> None:
    """Delete temporaries of our files (and of our tracks' images) a killed worker left."""
    slugs = {name.removesuffix(".timeline.json") for name in ours if name.endswith(".json")}
    with contextlib.suppress(OSError):
        for path in out.iterdir():
            match = _TEMP.match(path.name)
            image = match and _IMAGE.match(match["final"])
            if match and (match["final"] in ours or (image and image["slug"] in slugs)):
                with contextlib.suppress(OSError):
                    path.unlink()


def _write_pages(out: Path, title: str | None, entries: dict[str, TrackEntry]) -> None:
    """Write manifest.json, index.html and library.m3u8 together (only if changed)."""
    ordered = [entries[slug] for slug in sorted(entries)]
    name = title or library_title(ordered)
    texts = {
        MANIFEST_NAME: manifest_text(entries),
        INDEX_NAME: index_html(name, ordered),
        PLAYLIST_NAME: playlist_m3u8(name, ordered),
    }
    if all(_same_text(out / file, text) for file, text in texts.items()):
        return
    paths = {file: inside(out, file) for file in texts}
    with atomic_outputs(list(paths.values())) as temps:
        for file, text in texts.items():
            temps[paths[file]].write_text(text, encoding="utf-8")


def _same_text(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, ValueError):
        return False


def _built_line(entry: TrackEntry, seconds: float) -> str:
    return (
        f"built {entry.track} ({clock(entry.duration)}, {len(entry.chapters)} chapters) "
        f"from {entry.source} in {seconds:.1f} s"
    )
