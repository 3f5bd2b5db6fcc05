"""Shared helpers for the library tests: a small library on disk and ways to build it.

Not a conftest: import with `from library_helpers import ...` (pytest puts the
tests folder on sys.path). It holds no tests itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from voicecoach.cli import main

REPO = Path(__file__).resolve().parents[1]
"""The source checkout (put on PYTHONPATH for subprocesses)."""

EXERCISES = {
    "bird-dog.yaml": """
        name: Bird dog
        setup: [Kneel on all fours.]
        reps: 2
        tempo: 1-0-1
    """,
    "bridge.yaml": """
        name: Bridge hold
        reps: 2
        hold: 1s
        relax: 1s
    """,
    "unused.yaml": """
        name: Never used
        work: 5s
    """,
}
"""The exercise library: morning and quick use bird-dog, evening uses bridge."""

EVENING_TITLE = '<Evening> & "cool-down" </article><script>x</script>'
"""A title that must be escaped in the index page."""

PROGRAMMES = {
    "morning.yaml": """
        title: Morning mobility
        intro: false
        defaults: {countdown: 0}
        exercises:
          - use: bird-dog
    """,
    "evening.yaml": f"""
        title: '{EVENING_TITLE}'
        voice: {{engine: fake}}
        defaults: {{countdown: 0}}
        exercises:
          - use: bridge
    """,
    "quick.yml": """
        title: Quick one
        intro: false
        defaults: {countdown: 0, rest: 2s}
        exercises:
          - use: bird-dog
            reps: 1
          - name: Side plank
            work: 3s
    """,
}
"""Three seconds-long programmes (file name → YAML)."""

SLUGS = ("evening", "morning", "quick")
"""The track names of PROGRAMMES, in build order."""


def write(path: Path, text: str) -> Path:
    """Write dedented TEXT to PATH (creating folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def make_library(root: Path) -> Path:
    """Write the test library under ROOT/clinic and return that folder (SRC)."""
    src = root / "clinic"
    for name, text in EXERCISES.items():
        write(src / "exercises" / name, text)
    for name, text in PROGRAMMES.items():
        write(src / "programmes" / name, text)
    return src


@dataclass(frozen=True)
class Run:
    """The outcome of one `voicecoach library build`."""

    code: int
    """Exit code."""
    stdout: str
    """Standard output."""
    stderr: str
    """Standard error."""


def build(src: Path, cache: Path, *args: str) -> Run:
    """`voicecoach library build SRC --engine fake --cache-dir CACHE ARGS...` via CliRunner."""
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()
    argv = ["library", "build", str(src), "--engine", "fake", "--cache-dir", str(cache), *args]
    result = runner.invoke(main, argv, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def build_process(src: Path, cache: Path, *args: str, **popen: object) -> subprocess.Popen:
    """The same build as a real process (for signals), stdout and stderr piped."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "VOICECOACH_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "voicecoach.cli", "library", "build", str(src)]
    command += ["--engine", "fake", *args]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,  # type: ignore[arg-type]
    )


def manifest(out: Path) -> dict:
    """OUT/manifest.json's tracks by slug."""
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["tracks"]


def tree(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple[int, int]]:
    """{relative path: (size, mtime_ns)} of every file under ROOT, outside SKIP folders."""
    found = {}
    for path in sorted(root.rglob("*")):
        if any(path == s or path.is_relative_to(s) for s in skip) or not path.is_file():
            continue
        stat = path.stat()
        found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def temporaries(out: Path) -> list[str]:
    """Temporary files (`.NAME.tmp-XXXXXXXX`) in OUT."""
    return sorted(p.name for p in out.iterdir() if ".tmp-" in p.name)
