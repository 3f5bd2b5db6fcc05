"""Build programmes in worker processes, at most N at a time, and stop them cleanly.

Each programme is built in its own process (load → open_cache → plan → build), so a
broken programme, a crashing engine or a hung encoder only costs that programme.
Workers lead their own process groups, so a terminal's Ctrl-C reaches only the
parent; when the parent is interrupted it sends SIGTERM to every running worker,
which turns it into an exception, so the atomic writes in `voicecoach.audio` delete
their temporaries and leave earlier files as they were; then whatever is left in a
worker's process group (an encoder, a speech engine) is killed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from warnings import catch_warnings, simplefilter

from voicecoach import pipeline
from voicecoach.errors import BuildInterrupted, VoiceCoachError
from voicecoach.library.fingerprint import BuildSettings, fingerprint, media_files
from voicecoach.library.lock import close_inherited_locks
from voicecoach.library.manifest import TrackEntry
from voicecoach.library.sources import inside, output_names
from voicecoach.page import image_names
from voicecoach.parent_watch import die_with_parent, watch_parent

STOP_GRACE_SECONDS = 10.0
"""How long an interrupted worker may take to clean up before it is killed."""


@dataclass(frozen=True)
class Job:
    """One programme to build, with everything its worker process needs."""

    source: Path
    """The programme file, as the user named it (error messages show this)."""
    slug: str
    """Track name: the files are OUT/<slug>.mp3, .vtt, .timeline.json."""
    relative: str
    """The programme file relative to SRC (recorded in the manifest)."""
    out: Path
    """The output folder."""
    library: Path
    """The exercise library folder for `use:`."""
    programme_sha: str
    """sha256 of the programme file, taken before the build started."""
    snapshot: Mapping[str, str]
    """{exercise file name: sha256} of the library, taken before the build started."""
    settings: BuildSettings
    """Voice overrides and track format."""
    shared: str
    """The fingerprint part every track of this build shares."""
    cache_dir: str | None = None
    """Phrase cache folder (None: the default)."""
    speakers: int = 1
    """Speech engines synthesising this programme's phrases at once."""


@dataclass(frozen=True)
class JobResult:
    """What building one programme came to."""

    entry: TrackEntry | None
    """The manifest entry of the written track (None if the build failed)."""
    error: str | None = None
    """The failure as one line, `FILE:LINE:COL: message` (None on success)."""
    warnings: tuple[str, ...] = ()
    """Located slips in the files, plan adjustments (e.g. a rest that had to grow) and
    the build's own warnings (a track quieter than its --loudness), one line each,
    starting with a file."""
    seconds: float = 0.0
    """Wall-clock time the build took."""


def located(source: Path, err: VoiceCoachError) -> str:
    """ERR as one line that always starts with a file: its own location, else SOURCE."""
    return str(err) if err.location is not None else f"{source}: {err}"


def build_one(job: Job) -> JobResult:
    """Build JOB's programme into OUT; failures come back as a one-line error.

    Interruptions (KeyboardInterrupt, BuildInterrupted) propagate.
    """
    started = time.monotonic()
    try:
        settings = job.settings
        programme = pipeline.load(
            job.source, job.library, settings.override(), music=settings.music
        )
        uses = tuple(sorted({ex.library_id for ex in programme.exercises if ex.library_id}))
        cache = pipeline.open_cache(programme, job.cache_dir, job.speakers)
        try:
            track = pipeline.TrackFormat(settings.format, settings.bitrate, settings.loudness)
            timeline = pipeline.plan(programme, cache, track=track)
            track = inside(job.out, output_names(job.slug, job.settings.format)[0])
            images = image_names(programme, track)
            names = output_names(job.slug, job.settings.format) + tuple(
                dict.fromkeys(path.name for path in images.values())
            )
            with catch_warnings(record=True) as caught:  # a track quieter than asked
                simplefilter("always")
                pipeline.build(
                    programme,
                    timeline,
                    cache,
                    track,
                    settings.format,
                    bitrate=settings.bitrate,
                    loudness=settings.loudness,
                    artist=settings.author,
                )
        finally:
            with contextlib.suppress(Exception):
                cache.engine.close()
        missing = [name for name in names if not (job.out / name).is_file()]
        if missing:
            raise VoiceCoachError(f"the build did not write {', '.join(missing)}")
    except BuildInterrupted:
        raise
    except VoiceCoachError as err:
        return JobResult(None, located(job.source, err), seconds=time.monotonic() - started)
    except Exception as err:  # a bug: still one line, and the other programmes go on
        message = f"{job.source}: internal error: {type(err).__name__}: {err}"
        return JobResult(None, message, seconds=time.monotonic() - started)
    voice = programme.voice
    pictures = tuple(sorted({str(ex.image) for ex in programme.exercises if ex.image}))
    media = media_files(programme)
    entry = TrackEntry(
        slug=job.slug,
        source=job.relative,
        title=programme.title,
        fingerprint=fingerprint(
            job.programme_sha, uses, job.snapshot, job.shared, (*pictures, *media)
        ),
        uses=uses,
        media=media,
        files=names,
        duration=timeline.duration,
        chapters=timeline.chapters,
        voice={"engine": voice.engine, "name": voice.name, "rate": voice.rate},
        built=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        images=pictures,
        language=programme.language,
    )
    warnings = (
        *(str(warning) for warning in programme.warnings),
        *(f"{job.source}: {warning}" for warning in timeline.warnings),
        *(f"{job.source}: {warning.message}" for warning in caught),
    )
    return JobResult(entry, None, warnings, time.monotonic() - started)


def _raise_interrupted(signum: int, frame: object) -> None:
    """SIGTERM in a worker: ignore further signals (so cleanup finishes), then raise."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise BuildInterrupted("build interrupted by SIGTERM")


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """Hold back SIGINT/SIGTERM in this thread (where the platform can) inside the block."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _worker_main(job: Job, conn: Connection, parent: int) -> None:
    """A worker process: build one programme and send the result to the parent.

    It starts with the stop signals blocked (see run_jobs), leads its own process
    group (so a terminal's Ctrl-C reaches only the parent, which stops the workers
    with SIGTERM, and leftover children can be killed with the group), and turns
    SIGTERM into BuildInterrupted so the atomic writes clean up. It drops its copy of
    the output folder's lock, and stops the same way when the parent dies (even by
    SIGKILL), so no orphan keeps building or holds the folder.
    """
    close_inherited_locks()
    if hasattr(os, "setpgid"):
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent, signal.SIGTERM)
    watch_parent(parent, lambda: os.kill(os.getpid(), signal.SIGTERM), STOP_GRACE_SECONDS)
    try:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        result = build_one(job)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # nothing in OUT is left to clean up
        conn.send(result)
    except BuildInterrupted:
        pass  # the parent is stopping us; the atomic writes have cleaned up
    finally:
        conn.close()


def _context() -> multiprocessing.context.BaseContext:
    """fork where there is one (fast: nothing is imported again), else the default."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def run_jobs(
    jobs: Sequence[Job], workers: int, on_result: Callable[[Job, JobResult], None]
) -> None:
    """Build JOBS in up to WORKERS processes, calling on_result as each one finishes.

    On any exception in the parent (Ctrl-C, SIGTERM turned into BuildInterrupted, an
    error in on_result) the running workers are stopped and waited for, then it re-raises.
    """
    context = _context()
    pending = deque(jobs)
    running: dict[Connection, tuple[multiprocessing.process.BaseProcess, Job]] = {}
    try:
        while pending or running:
            while pending and len(running) < max(1, workers):
                job = pending.popleft()
                receive, send = context.Pipe(duplex=False)
                process = context.Process(
                    target=_worker_main,
                    args=(job, send, os.getpid()),
                    name=f"voicecoach-{job.slug}",
                )
                with _stop_signals_blocked():  # a started worker is always in `running`
                    process.start()
                    running[receive] = (process, job)
                    _own_group(process.pid)
                send.close()
            for conn in wait(list(running)):
                process, job = running.pop(conn)  # type: ignore[index]
                result = _receive(conn, process, job)
                on_result(job, result)
    finally:
        _stop(running)


def _receive(conn: Connection, process: multiprocessing.process.BaseProcess, job: Job) -> JobResult:
    """The worker's result, or a failure saying how it died."""
    try:
        result = conn.recv()
    except (EOFError, OSError):
        result = None
    finally:
        conn.close()
    process.join()
    if isinstance(result, JobResult):
        return result
    code = process.exitcode
    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
    return JobResult(None, f"{job.source}: the worker process stopped without a result ({how})")


def _own_group(pid: int | None) -> None:
    """Make the worker PID lead its own process group (it does so itself too)."""
    if pid is not None and hasattr(os, "setpgid"):
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)


def _kill_group(pid: int | None) -> None:
    """SIGKILL whatever is left in the process group a stopped worker led."""
    if pid is not None and hasattr(os, "killpg"):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def _stop(running: dict[Connection, tuple[multiprocessing.process.BaseProcess, Job]]) -> None:
    """SIGTERM every running worker, wait for them to clean up, kill any that don't."""
    processes = [process for process, _ in running.values()]
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stop waiting
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()
        _kill_group(process.pid)  # e.g. an encoder started just as the signal came
    for conn in running:
        conn.close()
    running.clear()
