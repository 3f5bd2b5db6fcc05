"""The level store's budget: what was used longest ago goes once it holds too much, never
what the build at hand uses, and only by builds that stored something."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from voicecoach import pipeline
from voicecoach.audio import clip_levels
from voicecoach.audio.clip_levels import prune_levels, read_array, write_array


def _entry(store: Path, n: int, size: int, used: float) -> Path:
    name = f"{n:064x}"
    path = store / name[:2] / f"{name}.npy"
    write_array(path, np.zeros(size // 4, dtype="<f4"))
    os.utime(path, (used, used))
    return path


def test_nothing_goes_while_the_store_is_within_its_budget(tmp_path):
    paths = [_entry(tmp_path, n, 4000, 1000.0 + n) for n in range(5)]
    total = sum(p.stat().st_size for p in paths)
    assert prune_levels(tmp_path, budget=total) == 0
    assert all(p.exists() for p in paths)


def test_the_longest_unused_go_down_to_three_quarters(tmp_path):
    paths = [_entry(tmp_path, n, 4000, 1000.0 + n) for n in range(10)]
    size = paths[0].stat().st_size
    removed = prune_levels(tmp_path, budget=8 * size)
    assert removed == 4 * size  # 10 -> 6 entries: at most 3/4 of 8
    assert [p.exists() for p in paths] == [False] * 4 + [True] * 6


def test_what_the_build_used_stays_even_over_budget(tmp_path):
    paths = [_entry(tmp_path, n, 4000, 1000.0 + n) for n in range(6)]
    assert prune_levels(tmp_path, budget=1, keep_since=1002.0) > 0
    assert [p.exists() for p in paths] == [False, False, True, True, True, True]


def test_only_the_stores_own_files_count_or_go(tmp_path):
    paths = [_entry(tmp_path, n, 4000, 1000.0 + n) for n in range(3)]
    strangers = [tmp_path / "ab" / "notes.txt", tmp_path / "zz" / (f"{1:064x}.npy")]
    for path in strangers:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(bytes(10**6))
        os.utime(path, (1.0, 1.0))
    (tmp_path / "ab" / "cd").mkdir()  # a folder named like an entry's shard, inside one
    assert prune_levels(tmp_path, budget=10**9) == 0  # the strangers' megabytes don't count
    prune_levels(tmp_path, budget=1)
    assert not any(p.exists() for p in paths) and all(p.exists() for p in strangers)
    assert prune_levels(tmp_path / "missing", budget=1) == 0


def test_entries_another_build_pruned_first_count_as_gone(tmp_path, monkeypatch):
    paths = [_entry(tmp_path, n, 4000, 1000.0 + n) for n in range(10)]
    size = paths[0].stat().st_size
    real = os.unlink

    def raced(path):  # every other one deleted by another build just before
        real(path)
        if int(Path(path).stem, 16) % 2:
            raise FileNotFoundError(path)

    monkeypatch.setattr(clip_levels.os, "unlink", raced)
    assert prune_levels(tmp_path, budget=8 * size) == 4 * size
    assert sum(p.exists() for p in paths) == 6  # not four more for the ones it lost


def test_reading_an_entry_renews_it(tmp_path):
    path = _entry(tmp_path, 1, 400, 1000.0)
    assert read_array(path, np.dtype("<f4"), 100) is not None
    assert path.stat().st_mtime > 1000.0
    _entry(tmp_path, 2, 400, 2000.0)
    prune_levels(tmp_path, budget=1, keep_since=10**12)
    assert not any(tmp_path.rglob("*.npy"))


SESSION = """\
title: Budget
voice: {{engine: fake}}
exercises:
  - name: {name}
    sets: 2
    reps: 3
    tempo: 1-0-1
    rest: 5s
"""


def _build(tmp_path: Path, name: str, loudness: float, cache_dir: str = "cache") -> bytes:
    script = tmp_path / f"{name}.yaml"
    script.write_text(SESSION.format(name=name))
    programme = pipeline.load(script)
    cache = pipeline.open_cache(programme, tmp_path / cache_dir, 2)
    timeline = pipeline.plan(programme, cache)
    out = tmp_path / f"{name}.mp3"
    pipeline.build(programme, timeline, cache, out, page=False, loudness=loudness)
    return out.read_bytes()


def _store(tmp_path: Path, cache_dir: str = "cache") -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in (tmp_path / cache_dir / "levels").rglob("*.npy")}


@pytest.mark.e2e
def test_a_build_past_the_budget_keeps_its_own_and_drops_the_rest(tmp_path, monkeypatch):
    first = _build(tmp_path, "Squats", -16.0)
    old = _store(tmp_path)
    assert old
    monkeypatch.setattr(clip_levels, "LEVELS_BUDGET", sum(p.stat().st_size for p in old) // 2)
    _build(tmp_path, "Lunges", -20.0)  # stores its own levels and clips: over budget
    after = _store(tmp_path)
    dropped = [p for p in old if p not in after]
    assert dropped
    monkeypatch.setattr(clip_levels, "LEVELS_BUDGET", 2**40)
    _build(tmp_path, "Lunges", -20.0, cache_dir="alone")  # what that build uses
    own = {p.name for p in _store(tmp_path, "alone")}
    assert own <= {p.name for p in after}  # all of it stayed
    # a warm rebuild stores nothing, so prunes nothing; a build whose store went gives
    # the same track
    again = _store(tmp_path)
    _build(tmp_path, "Lunges", -20.0)
    assert set(_store(tmp_path)) == set(again)
    assert _build(tmp_path, "Squats", -16.0) == first
