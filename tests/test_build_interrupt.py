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
