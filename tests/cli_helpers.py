"""Helpers of the end-to-end tests: the CLI run in a real process, captions read back.

Not a conftest: import with `from cli_helpers import run_cli` etc.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cache: Path, cwd: Path) -> subprocess.CompletedProcess:
    """`voicecoach ARGS` in a fresh process in CWD, with CACHE as its phrase cache."""
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "VOICECOACH_CACHE_DIR": str(cache), "PYTHONPATH": pythonpath}
    return subprocess.run(
        [sys.executable, "-m", "voicecoach.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


def isolated(events: list[dict], event: dict, margin: float) -> bool:
    """No other event sounds within MARGIN seconds of EVENT's span."""
    return not any(
        other is not event
        and other["start"] < event["end"] + margin
        and other["end"] > event["start"] - margin
        for other in events
    )


def vtt_cues(text: str) -> list[tuple[float, float, str]]:
    """The (start, end, text) of every cue in a WebVTT TEXT."""
    assert text.startswith("WEBVTT")
    cues = []
    pattern = re.compile(
        r"(\d+):(\d\d):(\d\d)\.(\d{3}) --> (\d+):(\d\d):(\d\d)\.(\d{3})\n(.+?)\n\n", re.S
    )
    for m in pattern.finditer(text + "\n"):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(x) for x in m.groups()[:8])
        cues.append(
            (
                h1 * 3600 + m1 * 60 + s1 + ms1 / 1000,
                h2 * 3600 + m2 * 60 + s2 + ms2 / 1000,
                m.group(9),
            )
        )
    return cues
