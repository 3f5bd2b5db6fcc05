"""Stopping `voicecoach library build` (SIGTERM, Ctrl-C) leaves nothing partial in OUT."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from library_helpers import build, build_process, manifest, temporaries, write

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

LONG = """
    title: A long hold
    intro: false
    exercises:
      - name: Wall sit
        work: 10m
"""
"""A programme whose track takes seconds to render, so it can be interrupted."""

SHORT = """
    title: Short
    intro: false
    defaults: {countdown: 0}
    exercises:
      - name: Squat
        reps: 1
        tempo: 1-0-1
"""


def _library(root: Path) -> Path:
    src = root / "lib"
    write(src / "programmes" / "a-short.yaml", SHORT)
    write(src / "programmes" / "long.yaml", LONG)
    return src


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the build to get going")
        time.sleep(0.01)


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_interrupted_build_leaves_no_partial_or_temporary_files(tmp_path, how):
    src = _library(tmp_path)
    out = src / "output"
    cache = tmp_path / "cache"
    process = build_process(src, cache, "-j", "2", start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        _wait_for(
            lambda: (
                any(line.startswith("built a-short.mp3") for line in lines)
                and any(n.startswith(".long.mp3.tmp-") for n in temporaries(out))
            )
        )
        if how == "sigterm":
            process.send_signal(signal.SIGTERM)
        else:  # a terminal sends SIGINT to the whole foreground process group
            os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        stderr = process.stderr.read()
        reader.join(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    if how == "sigterm":
        assert last == "error: interrupted by SIGTERM; no partial files were left"
    else:
        assert last.startswith("error: interrupted")  # main's wording for KeyboardInterrupt
    assert temporaries(out) == []
    assert sorted(p.name for p in out.glob("long.*")) == []
    # what was finished is recorded, so it is not built again
    assert sorted(manifest(out)) == ["a-short"]
    assert "a-short.mp3" in (out / "library.m3u8").read_text()
    (src / "programmes" / "long.yaml").unlink()
    run = build(src, cache)
    assert run.code == 0, run.stderr
    assert "built 0, up to date 1, failed 0" in run.stdout


def test_a_second_build_into_the_same_folder_waits_for_the_first(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    src = _library(tmp_path)
    (src / "programmes" / "long.yaml").unlink()
    out = src / "output"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the "first build"
    process = build_process(src, tmp_path / "cache")
    try:
        first_line = process.stderr.readline()
        assert first_line == (
            f"another library build is writing to {out}; waiting for it to finish "
            "(Ctrl-C to stop)\n"
        )
        time.sleep(0.5)
        assert process.poll() is None and list(out.iterdir()) == []  # it really waits
    finally:
        os.close(fd)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "built 1, up to date 0, failed 0" in stdout
    assert sorted(manifest(out)) == ["a-short"]


def _children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_sigkilled_build_leaves_no_worker_and_no_lock_behind(tmp_path):
    src = _library(tmp_path)
    out = src / "output"
    cache = tmp_path / "cache"
    very_long = LONG.replace("A long hold", "Another") + "      - name: Plank\n        work: 10m\n"
    write(src / "programmes" / "also-long.yaml", very_long)
    process = build_process(src, cache, "-j", "2", start_new_session=True)
    try:
        _wait_for(lambda: out.is_dir() and len(temporaries(out)) >= 2)
        workers = _children_of(process.pid)
        assert workers, "no worker processes found"
        process.kill()  # SIGKILL: the parent can clean up nothing
        process.wait(10)
        deadline = time.monotonic() + 8  # rendering the long tracks takes far longer
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "an orphaned worker is still running"
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert temporaries(out) == []  # the workers cleaned up as they stopped
    run = build(src, cache)  # no wait: nobody holds the folder any more
    assert run.code == 0, run.stderr
    assert "waiting" not in run.stderr
    assert "built 3, up to date 0, failed 0" in run.stdout


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_interrupt_just_as_the_encoder_starts_leaves_nothing(tmp_path, how):
    src = _library(tmp_path)
    (src / "programmes" / "a-short.yaml").unlink()
    out = src / "output"
    process = build_process(src, tmp_path / "cache", start_new_session=True)
    try:
        _wait_for(lambda: out.is_dir() and temporaries(out) != [], timeout=60)
        if how == "sigterm":
            process.send_signal(signal.SIGTERM)
        else:
            os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    time.sleep(0.2)  # an orphaned encoder would have written by now
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "library.m3u8", "manifest.json"]
    assert manifest(out) == {}
