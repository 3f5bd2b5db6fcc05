"""`voicecoach cache verify` finds and removes suspect entries; `cache clear` empties it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from voicecoach.cli import main
from voicecoach.script.model import Voice
from voicecoach.speech import PhraseCache
from voicecoach.speech.base import estimate_samples
from voicecoach.speech.cache import CACHE_FORMAT, CHUNK_ID
from voicecoach.speech.cache_verify import clear_cache, entry_files, verify_cache
from voicecoach.speech.clip_check import ClipCheck, expected_seconds
from voicecoach.speech.fake import FakeEngine
from voicecoach.wavio import build_wav, parse_wav

VOICE = Voice(engine="fake", name="en-gb", rate=150)
PHRASES = ["Get ready.", "Two", "Keep your pelvis still and breathe out slowly as you lower."]


def fill(directory: Path) -> PhraseCache:
    cache = PhraseCache(FakeEngine(), directory)
    cache.ensure(PHRASES, VOICE)
    return cache


def rewrite_record(path: Path, **changes: object) -> None:
    """Change fields of an entry's record, keeping it otherwise valid."""
    wav = parse_wav(path.read_bytes())
    record = json.loads(wav.chunks[CHUNK_ID])
    record.update(changes)
    path.write_bytes(build_wav(wav.data, wav.sample_rate, {CHUNK_ID: json.dumps(record).encode()}))


def fake_for(name: str):
    return FakeEngine() if name == "fake" else None


def test_a_good_cache_is_left_alone(tmp_path: Path) -> None:
    fill(tmp_path)
    before = {p: p.read_bytes() for p in entry_files(tmp_path)}
    report = verify_cache(tmp_path, fake_for, resynthesize=True)
    assert (report.checked, report.kept, report.removed) == (3, 3, ())
    assert {p: p.read_bytes() for p in entry_files(tmp_path)} == before


def test_hostile_damaged_old_and_leftover_files_are_removed(tmp_path: Path) -> None:
    cache = fill(tmp_path)
    fifo, damaged, old = (cache.path(t, VOICE) for t in PHRASES)
    fifo.unlink()
    os.mkfifo(fifo)
    damaged.write_bytes(damaged.read_bytes()[:-100])
    rewrite_record(old, format="voicecoach.phrase/1")
    leftover = old.parent / f".{old.name}.tmp-0123abcd"
    leftover.write_bytes(b"partial")
    os.utime(leftover, (time.time() - 60,) * 2)
    report = verify_cache(tmp_path, fake_for)
    reasons = {r.path: r.reason for r in report.removed}
    assert reasons == {
        fifo: "it is a named pipe, not a file",
        damaged: "damaged (not a cache entry any more)",
        old: "made by an older voicecoach (voicecoach.phrase/1)",
        leftover: "a temporary file a stopped build left",
    }
    assert (report.checked, report.kept) == (3, 0)
    assert list(entry_files(tmp_path)) == [] and not leftover.exists()
    assert CACHE_FORMAT != "voicecoach.phrase/1"


class RatedFake(FakeEngine):
    """A fake whose clips are checked against a rate (150 words a minute by default)."""

    clip_check = ClipCheck(default_rate=150, repeat_below=0.0, repeat_tolerance=0.0)


def test_an_entry_whose_length_does_not_fit_its_rate_is_suspect(tmp_path: Path) -> None:
    long = PHRASES[2]
    cache = PhraseCache(FakeEngine(), tmp_path)
    cache.ensure([long], VOICE)
    path = cache.path(long, VOICE)
    claims_60 = {"engine": "fake", "name": "en-gb", "rate": 60, "options": []}
    rewrite_record(path, voice=claims_60)  # 60 wpm: far too fast for its length
    report = verify_cache(tmp_path, lambda name: RatedFake())
    seconds = estimate_samples(long) / 44100
    assert [r.reason for r in report.removed] == [
        f"suspect: it lasts {seconds:.2f} s where 60 words a minute imply about "
        f"{expected_seconds(long, 60):.2f} s"
    ]
    PhraseCache(FakeEngine(), tmp_path).ensure([long], VOICE)
    rewrite_record(path, voice=claims_60, agreeing=2)  # confirmed twice: kept
    assert verify_cache(tmp_path, lambda name: RatedFake()).removed == ()


def test_resynthesize_removes_an_entry_the_engine_no_longer_gives(tmp_path: Path) -> None:
    cache = fill(tmp_path)
    poisoned = cache.path("Two", VOICE)
    other = PhraseCache(FakeEngine(), tmp_path / "other")
    other.ensure(["Three"], VOICE)
    wrong = parse_wav(other.path("Three", VOICE).read_bytes())  # another clip's audio
    record = json.loads(parse_wav(poisoned.read_bytes()).chunks[CHUNK_ID])
    record.update(
        frames=len(wrong.samples), sha256=__import__("hashlib").sha256(wrong.data).hexdigest()
    )
    poisoned.write_bytes(build_wav(wrong.data, 44100, {CHUNK_ID: json.dumps(record).encode()}))
    assert verify_cache(tmp_path, fake_for).removed == ()  # looks fine on its own
    report = verify_cache(tmp_path, fake_for, resynthesize=True)
    assert [r.path for r in report.removed] == [poisoned]
    assert report.removed[0].reason.startswith("spoken again it lasts ")


def test_an_entry_of_an_engine_not_installed_here_is_kept(tmp_path: Path) -> None:
    fill(tmp_path)
    assert verify_cache(tmp_path, lambda name: None, resynthesize=True).removed == ()


def test_clear_removes_only_cache_files(tmp_path: Path) -> None:
    fill(tmp_path)
    level = tmp_path / "levels" / "ab" / ("ab" + "0" * 62 + ".npy")
    level.parent.mkdir(parents=True)
    level.write_bytes(b"levels")
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    stray = tmp_path / "phrases" / "README"
    stray.write_text("not ours")
    count, size = clear_cache(tmp_path)
    assert count == 3 and size > 0
    assert list(entry_files(tmp_path)) == [] and not (tmp_path / "levels").exists()
    assert mine.read_text() == "keep me" and stray.read_text() == "not ours"


def test_cli_verify_and_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECOACH_CACHE_DIR", str(tmp_path))
    cache = fill(tmp_path)
    damaged = cache.path("Two", VOICE)
    damaged.write_bytes(b"RIFF")
    runner = CliRunner()
    result = runner.invoke(main, ["cache", "verify"])
    assert result.exit_code == 0, result.output
    relative = damaged.relative_to(tmp_path)
    assert result.stdout.splitlines() == [
        f"removed {relative}: damaged (not a cache entry any more)",
        f"checked 3 entries in {tmp_path}: 2 good, 1 removed",
    ]
    result = runner.invoke(main, ["cache", "clear", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("removed 2 entries (") and str(tmp_path) in result.stdout
    assert runner.invoke(main, ["cache", "verify"]).stdout.strip().endswith("0 good, 0 removed")
