"""Atomic output: failures and interruptions leave earlier files intact and no temps."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from audio_helpers import demo_assembly, demo_timeline
from mutagen.id3 import ID3

import voicecoach.atomic as atomic
import voicecoach.audio.encode as encode
from voicecoach.atomic import (
    STALE_AFTER_S,
    TEMP_MARKER,
    atomic_outputs,
    signals_as_interrupt,
    sweep_stale_temps,
)
from voicecoach.audio import RenderAssembly, load_tones, write_track
from voicecoach.errors import AudioError, BuildInterrupted

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def first_build(tmp_path_factory) -> Path:
    """A folder holding one good build (built once; tests get copies of it)."""
    folder = tmp_path_factory.mktemp("first-build")
    write_track(demo_assembly("First build"), folder / "session.mp3")
    return folder


@pytest.fixture
def previous(tmp_path, first_build):
    """A good earlier build in tmp_path: path of its track and every file's bytes."""
    for path in first_build.iterdir():
        shutil.copy2(path, tmp_path / path.name)
    return tmp_path / "session.mp3", _snapshot(tmp_path)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _children() -> list[str]:
    """PIDs of this process's child processes (Linux)."""
    path = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    return path.read_text().split() if path.exists() else []


def _rebuild(out: Path, progress) -> None:
    write_track(demo_assembly("Second build"), out, progress=progress)


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_missing_ffmpeg_names_the_install_command(previous, monkeypatch):
    out, before = previous
    monkeypatch.setattr(encode.shutil, "which", lambda name: None)
    with pytest.raises(AudioError, match="sudo apt-get install ffmpeg"):
        _rebuild(out, None)
    assert _snapshot(out.parent) == before


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_a_sidecar_that_cannot_be_moved_into_place_leaves_the_old_trio(previous, monkeypatch):
    out, before = previous
    real_replace = os.replace

    def refuse_vtt(src, dst, *args, **kwargs):
        if str(dst).endswith(".vtt") and TEMP_MARKER in str(src):
            raise PermissionError(13, "Permission denied", str(src))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(atomic.os, "replace", refuse_vtt)
    with pytest.raises(AudioError) as caught:
        _rebuild(out, None)
    assert str(caught.value) == f"cannot write {out.with_suffix('.vtt')}: Permission denied"
    assert _snapshot(out.parent) == before  # the new track was put back: old trio, no temps


@pytest.mark.e2e
def test_a_folder_where_a_sidecar_goes_fails_before_encoding(previous):
    out, before = previous
    out.with_suffix(".vtt").unlink()
    out.with_suffix(".vtt").mkdir()
    started = []
    with pytest.raises(AudioError, match=r"session\.vtt: it is a folder, not a file"):
        write_track(demo_assembly("Second"), out, progress=lambda d, t: started.append(d))
    assert started == []
    assert out.read_bytes() == before["session.mp3"]
    assert out.with_suffix(".timeline.json").read_bytes() == before["session.timeline.json"]
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(before)


def test_a_failing_write_names_the_target_not_the_temp(tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "x.mp3"
    with pytest.raises(AudioError) as caught:
        write_track(demo_assembly("Full"), out)
    assert str(caught.value) == f"cannot write {out.with_suffix('.vtt')}: No space left on device"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.e2e
def test_an_ffmpeg_error_names_the_target(previous, monkeypatch):
    out, _ = previous
    real_popen = encode.subprocess.Popen

    def read_only_output(command, *args, **kwargs):
        target = command[-1].removeprefix("file:")
        os.chmod(Path(target).parent, 0o500)
        Path(target).unlink()  # ffmpeg must create it afresh, in a folder it can't write
        return real_popen(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command],
            *args,
            **kwargs,
        )

    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run ffmpeg as another user")
    monkeypatch.setattr(encode.subprocess, "Popen", read_only_output)
    try:
        with pytest.raises(AudioError) as caught:
            _rebuild(out, None)
    finally:
        os.chmod(out.parent, 0o755)
    assert str(caught.value) == f"ffmpeg failed to write mp3: {out}: Permission denied"


@pytest.mark.e2e
def test_a_killed_builds_temporaries_are_removed_by_the_next_build(previous):
    out, before = previous
    stale = [
        out.parent / f".{name}{TEMP_MARKER}{tag}"
        for name, tag in (("session.mp3", "0123abcd"), ("session.vtt", "89abcdef"))
    ]
    for path in stale:
        path.write_bytes(b"\0" * 7_000_000)
        old = time.time() - 60
        os.utime(path, (old, old))
    other = out.parent / f".other.mp3{TEMP_MARKER}00000000"  # not this output's: stays
    other.write_bytes(b"x")
    os.utime(other, (time.time() - 60,) * 2)
    _rebuild(out, None)
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([*before, other.name])


def test_a_temporary_a_running_process_writes_is_never_swept(tmp_path):
    final = tmp_path / "track.mp3"
    code = (
        "import sys, time; from pathlib import Path; from voicecoach.atomic import temp_path_for;"
        "print(temp_path_for(Path(sys.argv[1])), flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(final)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        temp = Path(holder.stdout.readline().strip())
        os.utime(temp, (time.time() - 60,) * 2)
        assert sweep_stale_temps(final) == []
        assert temp.exists()
    finally:
        holder.kill()
        holder.wait()
    assert sweep_stale_temps(final) == [temp]
    assert not temp.exists()


def test_a_fresh_unlocked_temporary_is_left_alone(tmp_path):
    final = tmp_path / "track.mp3"
    young = tmp_path / f".track.mp3{TEMP_MARKER}deadbeef"
    young.write_bytes(b"x")  # just created: its writer may be about to lock it
    assert sweep_stale_temps(final) == []
    os.utime(young, (time.time() - STALE_AFTER_S - 1,) * 2)
    assert sweep_stale_temps(final) == [young]


def test_only_the_targets_own_temporaries_are_swept(tmp_path):
    final = tmp_path / "track.mp3"
    stale = tmp_path / f".track.mp3{TEMP_MARKER}0a1b2c3d"
    others = [
        tmp_path / f".track.mp3{TEMP_MARKER}0A1B2C3D",  # not our hex
        tmp_path / f".track.mp3{TEMP_MARKER}0a1b2c3",  # too short
        tmp_path / f".track.mp3{TEMP_MARKER}0a1b2c3d0",  # too long
        tmp_path / f".track.mp3x{TEMP_MARKER}0a1b2c3d",  # another file's
        tmp_path / f".other.mp3{TEMP_MARKER}0a1b2c3d",
        tmp_path / f"track.mp3{TEMP_MARKER}0a1b2c3d",  # not hidden
    ]
    for path in (stale, *others):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - STALE_AFTER_S - 1,) * 2)
    assert sweep_stale_temps(final) == [stale]
    assert all(path.exists() for path in others)


def test_commit_of_many_files_is_all_or_nothing(tmp_path, monkeypatch):
    finals = [tmp_path / f"f{i}.txt" for i in range(5)]
    for final in finals[:3]:
        final.write_text("old " + final.name)
    real_replace = os.replace
    calls = []

    def fail_fourth(src, dst, *args, **kwargs):
        if TEMP_MARKER in str(src) and str(dst) in map(str, finals):
            calls.append(dst)
            if len(calls) == 4:
                raise OSError(errno.EIO, "Input/output error", str(src))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(atomic.os, "replace", fail_fourth)
    failing = pytest.raises(AudioError, match=r"cannot write .*f3\.txt: Input/output error")
    with failing, atomic_outputs(finals) as temps:
        for final, temp in temps.items():
            temp.write_text("new " + final.name)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        f"f{i}.txt": f"old f{i}.txt" for i in range(3)
    }
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    with atomic_outputs(finals) as temps:
        for final, temp in temps.items():
            temp.write_text("new " + final.name)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        f"f{i}.txt": f"new f{i}.txt" for i in range(5)
    }
