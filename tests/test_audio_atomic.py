"""Atomic output: failures and interruptions leave earlier files intact and no temps."""

from __future__ import annotations

import os
import signal
import stat
import threading
from pathlib import Path

import pytest
from audio_helpers import demo_assembly, demo_timeline
from mutagen.id3 import ID3

import voicecoach.audio.encode as encode
from voicecoach.atomic import TEMP_MARKER, atomic_outputs, signals_as_interrupt
from voicecoach.audio import RenderAssembly, load_tones, write_track
from voicecoach.errors import AudioError, BuildInterrupted

pytestmark = pytest.mark.skipif(__import__("shutil").which("ffmpeg") is None, reason="needs ffmpeg")


@pytest.fixture
def previous(tmp_path):
    """A good earlier build in tmp_path: path of its track and every file's bytes."""
    out = tmp_path / "session.mp3"
    write_track(demo_assembly("First build"), out)
    return out, _snapshot(tmp_path)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _children() -> list[str]:
    """PIDs of this process's child processes (Linux)."""
    path = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    return path.read_text().split() if path.exists() else []


def _rebuild(out: Path, progress) -> None:
    write_track(demo_assembly("Second build"), out, progress=progress)


@pytest.mark.parametrize("exception", [RuntimeError("boom"), KeyboardInterrupt()])
def test_exception_mid_encode_keeps_previous_files(previous, exception):
    out, before = previous

    def fail(done, total):
        if done > 1.0:
            raise exception

    with pytest.raises(type(exception)):
        _rebuild(out, fail)
    assert _snapshot(out.parent) == before  # same names (no temps) and same bytes
    assert _children() == []  # ffmpeg was stopped and reaped


def test_sigterm_mid_encode_raises_build_interrupted(previous):
    out, before = previous
    handler = signal.getsignal(signal.SIGTERM)

    def terminate(done, total):
        if done > 1.0:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(BuildInterrupted, match="SIGTERM"):
        _rebuild(out, terminate)
    assert _snapshot(out.parent) == before
    assert signal.getsignal(signal.SIGTERM) is handler
    assert _children() == []


def test_missing_ffmpeg_names_the_install_command(previous, monkeypatch):
    out, before = previous
    monkeypatch.setattr(encode.shutil, "which", lambda name: None)
    with pytest.raises(AudioError, match="sudo apt-get install ffmpeg"):
        _rebuild(out, None)
    assert _snapshot(out.parent) == before


def test_ffmpeg_failure_reports_its_last_stderr_line(previous, monkeypatch):
    out, before = previous
    broken = encode.Format("mp3", ("-c:a", "nonexistent"), metadata=False)
    monkeypatch.setitem(encode.FORMATS, "mp3", broken)
    with pytest.raises(
        AudioError, match="ffmpeg failed to write mp3: Unknown encoder 'nonexistent'"
    ):
        _rebuild(out, None)
    assert _snapshot(out.parent) == before


def test_missing_clip_fails_before_any_file_is_created(tmp_path):
    with pytest.raises(AudioError, match="Welcome to the session"):
        write_track(RenderAssembly(demo_timeline(), {}, load_tones()), tmp_path / "x.mp3")
    assert list(tmp_path.iterdir()) == []


def test_successful_rebuild_replaces_all_three_files(previous):
    out, before = previous
    inodes = {p.name: p.stat().st_ino for p in out.parent.iterdir()}
    _rebuild(out, None)
    after = _snapshot(out.parent)
    assert sorted(after) == sorted(before)
    assert all(p.stat().st_ino != inodes[p.name] for p in out.parent.iterdir())
    assert str(ID3(out)["TIT2"]) == "Second build"
    assert b"Second build" in after["session.timeline.json"]


def test_atomic_outputs_names_temps_and_honours_umask(tmp_path):
    finals = [tmp_path / "a.mp3", tmp_path / "sub" / "a.vtt"]
    with atomic_outputs(finals) as temps:
        for final, temp in temps.items():
            assert temp.parent == final.parent
            assert temp.name.startswith(f".{final.name}{TEMP_MARKER}")
            temp.write_text(final.name)
        assert not any(final.exists() for final in finals)
    assert [final.read_text() for final in finals] == ["a.mp3", "a.vtt"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.mp3", "a.vtt"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(finals[0].stat().st_mode) == 0o666 & ~umask


def test_atomic_outputs_cleans_up_on_error(tmp_path):
    final = tmp_path / "a.txt"
    final.write_text("old")
    with pytest.raises(ValueError), atomic_outputs([final]) as temps:
        temps[final].write_text("new")
        raise ValueError
    assert final.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_sigterm_context_restores_handler_and_is_inert_off_the_main_thread():
    def custom(signum, frame):
        pass

    original = signal.signal(signal.SIGTERM, custom)
    try:
        with pytest.raises(BuildInterrupted), signals_as_interrupt(signal.SIGTERM):
            os.kill(os.getpid(), signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is custom
        seen = []

        def worker():
            with signals_as_interrupt(signal.SIGTERM):
                seen.append(signal.getsignal(signal.SIGTERM))

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert seen == [custom]
    finally:
        signal.signal(signal.SIGTERM, original)
