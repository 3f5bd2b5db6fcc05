"""Ctrl-C or SIGTERM in the middle of a real `voicecoach build` process.

The earlier good track stays byte-for-byte intact, nothing partial appears under a
final name, and no temporary file is left behind.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent

LONG = """\
title: A long session
voice: {engine: fake}
exercises:
""" + "".join(
    f"""  - name: Exercise {i}
    sides: [left, right]
    sets: 3
    reps: 12
    tempo: 2-1-3
    rest: 30s
"""
    for i in range(1, 9)
)

SHORT = """\
title: A long session
voice: {engine: fake}
exercises:
  - name: Exercise 1
    reps: 2
"""


def _env(cache: Path) -> dict[str, str]:
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "VOICECOACH_CACHE_DIR": str(cache), "PYTHONPATH": pythonpath}


def _build(script: Path, out: Path, cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "voicecoach.cli", "build", str(script), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(cache),
    )


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_build_keeps_the_old_track(tmp_path, signum):
    cache = tmp_path / "cache"
    out_dir = tmp_path / "out"
    out = out_dir / "session.mp3"
    short = tmp_path / "short.yaml"
    short.write_text(SHORT)
    first = _build(short, out, cache)
    assert first.wait(120) == 0, first.stderr.read()
    before = _digest(out_dir)
    assert set(before) == {  # the pages are part of the all-or-nothing output too
        "session.mp3",
        "session.vtt",
        "session.timeline.json",
        "session.html",
        "session.handout.html",
    }

    long = tmp_path / "long.yaml"
    long.write_text(LONG)
    proc = _build(long, out, cache)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".") for p in out_dir.iterdir()):  # encoding started
        assert proc.poll() is None, (
            f"build ended before it could be interrupted: {proc.stderr.read()}"
        )
        assert time.monotonic() < deadline, "no temporary file appeared"
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signum)
    code = proc.wait(60)
    stderr = proc.stderr.read()

    assert code == 1, stderr
    assert stderr.strip().count("\n") == 0 and stderr.startswith("error: ")
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert _digest(out_dir) == before, "the earlier track changed or a stray file is left"


def _scratch(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir())


def _state(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) of a process, None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    state = _state(pid)
    return state is not None and state[0] not in ("Z", "X")


def _engine_workers(parent: int) -> list[int]:
    """The speech engine processes PARENT started."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes() if proc.name.isdigit() else b""
        except OSError:
            continue
        state = _state(int(proc.name)) if cmdline else None
        if b"voicecoach.speech.engine_process_main" in cmdline and state and state[1] == parent:
            found.append(int(proc.name))
    return found


PYTTSX3 = SHORT.replace("voice: {engine: fake}", "voice: {engine: pyttsx3, name: en-gb}")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("how", ["normal", "failing", "interrupted", "killed"])
def test_no_scratch_folder_or_engine_is_left_behind(tmp_path, how):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    script = tmp_path / "p.yaml"
    script.write_text(PYTTSX3 if how != "failing" else PYTTSX3.replace("en-gb", "xx-nowhere"))
    out = tmp_path / "out" / "session.mp3"
    env = {**_env(tmp_path / "cache"), "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "voicecoach.cli", "build", str(script), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    if how in ("interrupted", "killed"):
        deadline = time.monotonic() + 60
        while not _engine_workers(proc.pid):  # speaking has started
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        workers = _engine_workers(proc.pid)
        proc.send_signal(signal.SIGTERM if how == "interrupted" else signal.SIGKILL)
    else:
        workers = []
    proc.wait(120)
    assert proc.returncode == {"normal": 0, "failing": 1, "interrupted": 1, "killed": -9}[how]
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "the speech engine outlived its build"
        time.sleep(0.1)
    assert _scratch(tmp) == []
    if how == "normal":
        names = {p.name for p in out.parent.iterdir()}
        assert {"session.mp3", "session.timeline.json", "session.vtt"} <= names
        assert not any(".tmp-" in name for name in names)


def test_a_killed_builds_temporaries_go_with_the_next_build(tmp_path):
    cache = tmp_path / "cache"
    out_dir = tmp_path / "out"
    out = out_dir / "session.mp3"
    long = tmp_path / "long.yaml"
    long.write_text(LONG)
    proc = _build(long, out, cache)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".session.mp3.tmp-") for p in out_dir.glob(".*")):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    proc.kill()
    proc.wait(30)
    left = sorted(p.name for p in out_dir.iterdir())
    assert any(".tmp-" in name for name in left), left  # what a SIGKILL leaves
    time.sleep(2.5)  # older than a live writer's fresh temp could be
    short = tmp_path / "short.yaml"
    short.write_text(SHORT)
    again = _build(short, out, cache)
    assert again.wait(120) == 0, again.stderr.read()
    names = {p.name for p in out_dir.iterdir()}
    assert {"session.mp3", "session.timeline.json", "session.vtt"} <= names
    assert not any(".tmp-" in name for name in names)
