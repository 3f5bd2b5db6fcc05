"""A programme's timeline is the same bytes whatever the cache held before and however
it was filled: fresh, warmed by another programme, or filled by concurrent builds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
VOICE = "voice: {engine: pyttsx3, name: en-gb, rate: 120}"
FIRST = f"""\
title: Knee, week 2
{VOICE}
intro: false
defaults: {{countdown: 3, rest: 10s}}
exercises:
  - name: Squat
    cues: [Knees over your toes.]
    reminders: [Breathe out as you stand up.]
    sets: 2
    reps: 3
    tempo: 1-0-1
"""
SECOND = f"""\
title: Hip, week 1
{VOICE}
intro: false
defaults: {{countdown: 3}}
exercises:
  - name: Bridge
    cues: [Push through your heels.]
    reps: 4
    tempo: 1-0-2
"""


def plan(script: Path, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VOICECOACH_CACHE_DIR": str(cache)}
    return subprocess.Popen(
        [sys.executable, "-m", "voicecoach.cli", "plan", str(script), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def timeline(*processes: subprocess.Popen) -> list[bytes]:
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        outputs.append(out)
    return outputs


def test_timeline_is_byte_identical_across_fresh_warmed_and_concurrent_caches(tmp_path):
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text(FIRST)
    second.write_text(SECOND)

    [fresh] = timeline(plan(first, tmp_path / "fresh"))
    assert b'"Squat' in fresh

    warmed_cache = tmp_path / "warmed"
    timeline(plan(second, warmed_cache))  # shares "Get ready.", "3", "2", "1", "Last one." ...
    [warmed] = timeline(plan(first, warmed_cache))

    shared = tmp_path / "concurrent"
    racing = timeline(plan(first, shared), plan(second, shared), plan(first, shared))
    [after] = timeline(plan(first, shared))

    assert warmed == fresh
    assert racing[0] == racing[2] == fresh
    assert after == fresh
