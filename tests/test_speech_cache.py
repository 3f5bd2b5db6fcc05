"""The on-disk phrase cache: hits, misses, integrity, atomic and concurrent writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from speech_helpers import isolated_fake

from voicecoach.errors import ClipNotCached, SpeechError
from voicecoach.script.model import Voice
from voicecoach.speech import PhraseCache, default_cache_dir
from voicecoach.speech.base import estimate_samples
from voicecoach.speech.cache import (
    MAX_ENTRY_BYTES,
    StoredClip,
    decode_entry,
    only_reading_clips,
)
from voicecoach.speech.fake import FakeEngine

VOICE = Voice(engine="fake", name="en-gb", rate=150)
PHRASES = ["Lie on your side.", "Keep your pelvis still.", "Breathe calmly.", "Change sides."]
ROOT = Path(__file__).resolve().parents[1]


def entries(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def test_a_thread_that_only_reads_clips_never_synthesises(tmp_path: Path) -> None:
    engine = FakeEngine()
    cache = PhraseCache(engine, tmp_path, memory_limit=1)  # keeps only the newest clip
    cache.ensure(["Go.", "Rest."], VOICE)
    stored = cache.clip("Go.", VOICE)  # from disk: "Rest." is the one in memory
    cache.path("Go.", VOICE).unlink()
    cache.clip("Rest.", VOICE)  # and now "Go." is nowhere
    with ThreadPoolExecutor(1, initializer=only_reading_clips) as pool:
        assert np.array_equal(
            pool.submit(cache.clip, "Rest.", VOICE).result().samples,
            cache.clip("Rest.", VOICE).samples,
        )
        with pytest.raises(ClipNotCached, match="'Go.' is neither in memory nor"):
            pool.submit(cache.clip, "Go.", VOICE).result()
    assert engine.calls == ["Go.", "Rest."]
    again = cache.clip("Go.", VOICE)  # this thread may speak
    assert engine.calls == ["Go.", "Rest.", "Go."]
    assert np.array_equal(again.samples, stored.samples)


def test_miss_then_hit_in_memory(tmp_path: Path) -> None:
    engine = FakeEngine()
    cache = PhraseCache(engine, tmp_path)
    a = cache.clip("Go.", VOICE)
    cache.clip("Rest.", VOICE)
    again = cache.clip("Go.", VOICE)
    assert (cache.synthesized, cache.hits) == (2, 1)
    assert engine.calls == ["Go.", "Rest."]
    assert again is a
    assert len(entries(tmp_path)) == 2


def test_second_run_synthesises_nothing_and_gives_identical_clips(tmp_path: Path) -> None:
    first = PhraseCache(FakeEngine(), tmp_path)
    clips = [first.clip(t, VOICE) for t in PHRASES]
    assert first.synthesized == len(PHRASES)

    engine = FakeEngine()
    second = PhraseCache(engine, tmp_path)
    for text, clip in zip(PHRASES, clips, strict=True):
        again = second.clip(text, VOICE)
        assert again.sample_rate == 44100
        assert np.array_equal(again.samples, clip.samples)
    assert (second.synthesized, second.hits, engine.calls) == (0, len(PHRASES), [])


def test_duration_is_sample_exact_and_equals_the_clip(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(), tmp_path)
    for text in PHRASES:
        duration = cache.duration(text, VOICE)
        assert duration == estimate_samples(text) / 44100
        assert duration == cache.clip(text, VOICE).duration
    fresh = PhraseCache(FakeEngine(), tmp_path)
    assert [fresh.duration(t, VOICE) for t in PHRASES] == [
        estimate_samples(t) / 44100 for t in PHRASES
    ]
    assert fresh.synthesized == 0


def test_stored_clip_is_16_bit_close_to_the_engine_output(tmp_path: Path) -> None:
    text = "Keep your pelvis still."
    clip = PhraseCache(FakeEngine(), tmp_path).clip(text, VOICE)
    original = FakeEngine().synthesize(text, VOICE).samples
    assert np.max(np.abs(clip.samples - original)) < 1 / 16000


def test_ensure_reports_progress_once_per_distinct_phrase(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(), tmp_path)
    seen: list[tuple[int, int, str]] = []
    texts = ["Go.", "Rest.", "Go.", "Change sides."]
    durations = cache.ensure(texts, VOICE, progress=lambda *a: seen.append(a))
    assert seen == [(1, 3, "Go."), (2, 3, "Rest."), (3, 3, "Change sides.")]
    assert durations == {t: estimate_samples(t) / 44100 for t in texts}
    assert cache.synthesized == 3
    cache.ensure(texts, VOICE)
    assert cache.synthesized == 3


def test_key_depends_on_engine_voice_rate_and_text(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(), tmp_path)
    base = cache.path("Go.", VOICE)
    assert base == cache.path("Go.", Voice(engine="fake", name="en-gb", rate=150))
    others = {
        cache.path("Go!", VOICE),
        cache.path("Go.", Voice(engine="fake", name="en-us", rate=150)),
        cache.path("Go.", Voice(engine="fake", name="en-gb", rate=151)),
        cache.path("Go.", Voice(engine="fake", name="en-gb")),
        PhraseCache(FakeEngine(name="other"), tmp_path).path("Go.", VOICE),
    }
    assert base not in others and len(others) == 5


def corrupt_truncate(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 1000])


def corrupt_flip_audio(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[-500] ^= 0xFF
    raw[-501] ^= 0x55
    path.write_bytes(bytes(raw))


def corrupt_flip_record(path: Path) -> None:
    raw = path.read_bytes()
    at = raw.index(b'"frames": ') + len(b'"frames": ')
    digit = raw[at : at + 1]
    path.write_bytes(raw[:at] + (b"1" if digit != b"1" else b"2") + raw[at + 1 :])


def corrupt_empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "damage", [corrupt_truncate, corrupt_flip_audio, corrupt_flip_record, corrupt_empty]
)
def test_corrupt_entry_is_detected_and_resynthesised(tmp_path: Path, damage) -> None:
    text = "Keep your pelvis still."
    good = PhraseCache(FakeEngine(), tmp_path).clip(text, VOICE)
    path = PhraseCache(FakeEngine(), tmp_path).path(text, VOICE)
    damage(path)

    engine = FakeEngine()
    cache = PhraseCache(engine, tmp_path)
    clip = cache.clip(text, VOICE)
    assert (cache.corrupt, cache.synthesized, engine.calls) == (1, 1, [text])
    assert np.array_equal(clip.samples, good.samples)

    after = PhraseCache(FakeEngine(), tmp_path)
    after.clip(text, VOICE)
    assert (after.corrupt, after.synthesized, after.hits) == (0, 0, 1)  # repaired on disk


def test_a_stored_clip_is_known_from_its_header_and_read_when_its_samples_are(
    tmp_path: Path,
) -> None:
    """`stored_clip` names a cached phrase's length and digest from its entry's header;
    its samples are read (and checked) only when asked for: damaged samples under a
    whole header are found then, and the phrase spoken again."""
    text = "Keep your pelvis still."
    good = PhraseCache(FakeEngine(), tmp_path).clip(text, VOICE)
    corrupt_flip_audio(PhraseCache(FakeEngine(), tmp_path).path(text, VOICE))
    cache = PhraseCache(FakeEngine(), tmp_path)
    assert cache.ensure([text], VOICE) == {text: good.duration}  # from the header
    stored = cache.clips([text], VOICE)[text]
    assert isinstance(stored, StoredClip)
    assert (len(stored), stored.content, stored.duration) == (
        len(good),
        good.content,
        good.duration,
    )
    assert (cache.corrupt, cache.synthesized) == (0, 0)
    assert np.array_equal(stored.samples, good.samples)  # read now: damaged, spoken again
    assert (cache.corrupt, cache.synthesized) == (1, 1)
    again = PhraseCache(FakeEngine(), tmp_path)
    assert np.array_equal(again.stored_clip(text, VOICE).samples, good.samples)
    assert (again.corrupt, again.synthesized) == (0, 0)


@pytest.mark.parametrize("damage", [corrupt_truncate, corrupt_flip_record, corrupt_empty])
def test_an_entry_whose_header_is_not_whole_is_spoken_again_when_looked_up(
    tmp_path: Path, damage
) -> None:
    text = "Breathe calmly."
    good = PhraseCache(FakeEngine(), tmp_path).clip(text, VOICE)
    damage(PhraseCache(FakeEngine(), tmp_path).path(text, VOICE))
    cache = PhraseCache(FakeEngine(), tmp_path)
    found = cache.clips([text], VOICE)[text]
    assert (cache.corrupt, cache.synthesized) == (1, 1)
    assert np.array_equal(found.samples, good.samples)


def test_a_stored_clip_spoken_again_differently_is_an_error(tmp_path: Path) -> None:
    """A header naming other samples than its entry's (which are then spoken again, as
    the entry's): the clip is not the one the build was laid out with."""
    text = "Change sides."
    cache = PhraseCache(FakeEngine(), tmp_path)
    cache.clip(text, VOICE)
    path = cache.path(text, VOICE)
    raw = path.read_bytes()
    at = raw.index(b'"sha256": "') + len(b'"sha256": "')
    path.write_bytes(raw[:at] + b"0" * 64 + raw[at + 64 :])
    fresh = PhraseCache(FakeEngine(), tmp_path)
    stored = fresh.stored_clip(text, VOICE)
    assert stored.content == "pcm16:" + "0" * 64
    with pytest.raises(SpeechError, match="spoken again differently"):
        stored.samples  # noqa: B018
    assert (fresh.corrupt, fresh.synthesized) == (1, 1)


def test_entry_of_another_phrase_under_this_name_is_not_used(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(), tmp_path)
    cache.clip("Go.", VOICE)
    wrong = cache.path("Rest.", VOICE)
    wrong.parent.mkdir(parents=True, exist_ok=True)
    wrong.write_bytes(cache.path("Go.", VOICE).read_bytes())  # valid WAV, wrong key
    fresh = PhraseCache(FakeEngine(), tmp_path)
    assert len(fresh.clip("Rest.", VOICE)) == estimate_samples("Rest.")
    assert (fresh.corrupt, fresh.synthesized) == (1, 1)


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(), tmp_path)
    cache.ensure(PHRASES, VOICE)
    files = entries(tmp_path)
    assert len(files) == len(PHRASES)
    assert all(p.suffix == ".wav" and not p.name.startswith(".") for p in files)


def test_entry_appears_only_by_renaming_a_complete_file_from_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def checked_replace(src: str, dst: str) -> None:
        src_path, dst_path = Path(src), Path(dst)
        assert src_path.parent == dst_path.parent
        assert not dst_path.exists()
        assert decode_entry(src_path.read_bytes(), dst_path.stem) is not None
        renames.append((src_path, dst_path))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", checked_replace)
    cache = PhraseCache(FakeEngine(), tmp_path)
    cache.ensure(PHRASES, VOICE)
    assert [dst for _, dst in renames] == [cache.path(t, VOICE) for t in PHRASES]


def test_failed_write_leaves_nothing_and_still_returns_the_clip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    cache = PhraseCache(FakeEngine(), tmp_path)
    with pytest.warns(UserWarning, match="No space left"):
        clip = cache.clip("Go.", VOICE)
    assert len(clip) == estimate_samples("Go.")
    assert entries(tmp_path) == []


def test_memory_memo_avoids_disk_and_survives_a_deleted_entry(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(), tmp_path)
    first = cache.clip("Go.", VOICE)
    cache.path("Go.", VOICE).unlink()
    assert cache.clip("Go.", VOICE) is first
    assert cache.duration("Go.", VOICE) == first.duration
    assert cache.synthesized == 1


def test_memory_limit_drops_clips_but_keeps_them_correct(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(), tmp_path, memory_limit=1)
    clips = {t: cache.clip(t, VOICE) for t in PHRASES}
    again = {t: cache.clip(t, VOICE) for t in PHRASES}
    assert cache.synthesized == len(PHRASES)
    assert all(np.array_equal(clips[t].samples, again[t].samples) for t in PHRASES)
    assert len(cache._clips) == 1


def test_failing_engine_error_names_the_phrase_and_writes_nothing(tmp_path: Path) -> None:
    cache = PhraseCache(FakeEngine(fail_on="pelvis"), tmp_path)
    with pytest.raises(SpeechError, match=r'"Keep your pelvis still\."'):
        cache.clip("Keep your pelvis still.", VOICE)
    empty = PhraseCache(FakeEngine(fail_on="pelvis", fail_mode="empty"), tmp_path)
    with pytest.raises(SpeechError, match=r'"Keep your pelvis still\.".*no audio'):
        empty.duration("Keep your pelvis still.", VOICE)
    assert entries(tmp_path) == []


def test_hanging_engine_times_out_through_the_cache(tmp_path: Path) -> None:
    engine = isolated_fake(0.5, hang_seconds=60, hang_on="slowly")
    cache = PhraseCache(engine, tmp_path)
    try:
        assert cache.duration("Go.", VOICE) == estimate_samples("Go.") / 44100
        with pytest.raises(SpeechError, match=r'"Lower slowly\.".*0\.5 s'):
            cache.ensure(["Rest.", "Lower slowly.", "Never reached."], VOICE)
    finally:
        engine.close()
    assert cache.synthesized == 2
    assert len(entries(tmp_path)) == 2


def test_default_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECOACH_CACHE_DIR", "/x/vc")
    monkeypatch.setenv("XDG_CACHE_HOME", "/x/xdg")
    assert default_cache_dir() == Path("/x/vc")
    assert PhraseCache(FakeEngine()).directory == Path("/x/vc")
    monkeypatch.delenv("VOICECOACH_CACHE_DIR")
    assert default_cache_dir() == Path("/x/xdg/voicecoach")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "/x/home")
    assert default_cache_dir() == Path("/x/home/.cache/voicecoach")


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from voicecoach.script.model import Voice
    from voicecoach.speech import PhraseCache
    from voicecoach.speech.base import estimate_samples
    from voicecoach.speech.fake import FakeEngine
    voice = Voice(engine="fake")
    corrupt = 0
    for round in range(15):
        cache = PhraseCache(FakeEngine(), Path(sys.argv[1]))
        for i in range(10):
            text = f"Phrase number {i} " + "and more words " * 4
            if (i + round) % 2:
                cache.path(text, voice).unlink(missing_ok=True)  # force a rewrite
            assert len(cache.clip(text, voice)) == estimate_samples(text)
        corrupt += cache.corrupt
    sys.exit(10 + corrupt if corrupt else 0)
    """
)


@pytest.mark.e2e  # four processes racing for 15 rounds
def test_parallel_processes_writing_the_same_keys_leave_valid_entries(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], env=env) for _ in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    files = entries(tmp_path)
    assert len(files) <= 10 and all(p.suffix == ".wav" for p in files)
    check = PhraseCache(FakeEngine(), tmp_path)
    for i in range(10):
        check.clip(f"Phrase number {i} " + "and more words " * 4, Voice(engine="fake"))
    assert check.corrupt == 0


def _hostile_fifo(path: Path) -> None:
    os.mkfifo(path)


def _hostile_zero_link(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _hostile_folder(path: Path) -> None:
    path.mkdir()


def _hostile_huge(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.truncate(MAX_ENTRY_BYTES + 1)  # sparse: no disk used


@pytest.mark.parametrize(
    "hostile",
    [_hostile_fifo, _hostile_zero_link, _hostile_folder, _hostile_huge],
    ids=["fifo", "link-to-dev-zero", "folder", "oversized"],
)
def test_hostile_entry_neither_hangs_nor_floods_and_is_replaced(tmp_path: Path, hostile) -> None:
    text = "Keep your pelvis still."
    path = PhraseCache(FakeEngine(), tmp_path).path(text, VOICE)
    path.parent.mkdir(parents=True)
    hostile(path)
    code = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))  # /dev/zero can't eat it all
        from voicecoach.script.model import Voice
        from voicecoach.speech import PhraseCache
        from voicecoach.speech.fake import FakeEngine
        cache = PhraseCache(FakeEngine(), sys.argv[1])
        clip = cache.clip({text!r}, Voice(engine="fake", name="en-gb", rate=150))
        print(len(clip), cache.corrupt, cache.synthesized)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    frames, corrupt, synthesized = map(int, done.stdout.split())
    assert (frames, corrupt, synthesized) == (estimate_samples(text), 1, 1)
    if hostile is not _hostile_folder:  # a folder can't be replaced by a file
        assert path.is_file() and not path.is_symlink()
        again = PhraseCache(FakeEngine(), tmp_path)
        again.clip(text, VOICE)
        assert (again.hits, again.synthesized) == (1, 0)
