"""The real PortAudio backend against a virtual sound card: a PulseAudio null sink.

The fixture starts a private PulseAudio daemon (no default script, one
``module-null-sink`` that consumes audio in real time, an anonymous unix socket)
and points ALSA's default device at it through an ``.asoundrc`` in a private
HOME. Playback runs in subprocesses so PortAudio starts with that environment.
Needs Debian ``pulseaudio``, ``libasound2-plugins`` and ``libportaudio2``
(scripts/setup.sh installs them); skips with the reason if they are missing.
"""

from __future__ import annotations

import glob
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from test_live_support import SHORT, Session, cli_env, make_session

from voicecoach.timeline.clock import clock

PROBE = r"""
import json, sys, threading, time
from voicecoach import live, pipeline
from voicecoach.live.device import DeviceSink

script, cache_dir, mode, start = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
programme = pipeline.load(script)
cache = pipeline.open_cache(programme, cache_dir)
timeline = pipeline.plan(programme, cache)
sink = DeviceSink()
player = live.Player(pipeline.assemble(programme, timeline, cache).mixer(), sink, start=start)
ticks, result = [], {"latency": None}

def watch(condition, since):
    while not condition():
        time.sleep(0.002)
    return time.monotonic() - since

def controls():
    while sink.frames_played < 44100:
        time.sleep(0.01)
    asked = time.monotonic()
    player.pause()
    last, changed = sink.frames_played, asked
    while time.monotonic() - changed < 0.4:  # until the device clock stands still
        time.sleep(0.002)
        if sink.frames_played != last:
            last, changed = sink.frames_played, time.monotonic()
    result["pause_latency"] = changed - asked
    result["paused_frame"] = player.frame
    time.sleep(0.5)
    result["still_paused_frame"] = player.frame
    player.resume()
    resumed = time.monotonic()
    result["resume_latency"] = watch(lambda: player.frame > result["paused_frame"], resumed)
    time.sleep(0.5)
    chapter = player.state().chapter
    asked = time.monotonic()
    player.next_chapter()
    result["next_latency"] = watch(lambda: player.state().chapter != chapter, asked)
    result["next_frame"] = player.frame
    result["next_chapter_frame"] = player.chapter_start(chapter + 1)
    player.stop()

if mode == "controls":
    threading.Thread(target=controls, daemon=True).start()
began = time.monotonic()
state = player.run(on_tick=lambda p: ticks.append((time.monotonic() - began, sink.frames_played)))
result.update(
    wall=time.monotonic() - began, frames=sink.frames_played, position=state.position,
    duration=timeline.duration, start=start, latency_setting=sink.latency,
    ticks=ticks, channels=sink.channels,
)
print(json.dumps(result))
"""


def _alsa_pulse_plugin() -> bool:
    patterns = ("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so",)
    patterns += ("/usr/lib/alsa-lib/libasound_module_pcm_pulse.so",)
    return any(glob.glob(p) for p in patterns)


@pytest.fixture(scope="module")
def pulse(tmp_path_factory) -> dict[str, str]:
    """Environment whose default ALSA device is a running PulseAudio null sink."""
    daemon = shutil.which("pulseaudio")
    if daemon is None:
        pytest.skip("no pulseaudio binary (apt-get install pulseaudio libasound2-plugins)")
    if not _alsa_pulse_plugin():
        pytest.skip("no ALSA pulse plugin (apt-get install libasound2-plugins)")
    pytest.importorskip("sounddevice", reason="sounddevice/PortAudio missing", exc_type=OSError)
    home = tmp_path_factory.mktemp("pulse")
    (home / ".asoundrc").write_text("pcm.!default { type pulse }\nctl.!default { type pulse }\n")
    socket = home / "native"
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        PULSE_SERVER=f"unix:{socket}",
    )
    env.pop("ALSA_CONFIG_PATH", None)
    command = [
        daemon,
        "-n",
        "--daemonize=no",
        "--use-pid-file=no",
        "--exit-idle-time=-1",
        "--disable-shm=yes",
        "--log-target=stderr",
        "-L",
        "module-null-sink sink_name=voicecoach_test rate=44100",
        "-L",
        f"module-native-protocol-unix socket={socket} auth-anonymous=1",
    ]
    log = (home / "pulseaudio.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while not socket.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not socket.exists():
        process.kill()
        process.wait()
        log.close()
        tail = (home / "pulseaudio.log").read_text()[-500:]
        pytest.skip(f"PulseAudio did not start: {tail!r}")
    yield env
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture(scope="module")
def short(tmp_path_factory) -> Session:
    return make_session(SHORT, tmp_path_factory.mktemp("short"))


def probe(pulse: dict[str, str], session: Session, mode: str, start: float) -> dict:
    env = cli_env(session) | {k: pulse[k] for k in ("HOME", "XDG_RUNTIME_DIR", "PULSE_SERVER")}
    args = [sys.executable, "-c", PROBE, str(session.script), str(session.cache_dir), mode]
    done = subprocess.run([*args, str(start)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_device_clock_advances_in_real_time(pulse, short):
    start = short.timeline.duration - 3.0
    result = probe(pulse, short, "clock", start)
    played = round(short.timeline.duration * 44100) - round(start * 44100)
    assert result["frames"] == played  # every frame reached the (virtual) speaker
    seconds = played / 44100
    ticks = result["ticks"]
    first = next(t for t, frames in ticks if frames > 0)  # the virtual sink starts slowly
    # Paced by the device: never ahead of real time; a busy machine may fall behind it
    # (the null sink underruns), so slower is bounded loosely.
    assert seconds - 0.6 <= result["wall"] - first <= seconds + 3.0
    assert result["wall"] <= seconds + 8
    steady = [t for t in ticks if 0.5 <= t[1] / 44100 <= seconds - 0.5]
    (t0, f0), (t1, f1) = steady[0], steady[-1]
    assert 0.5 * 44100 <= (f1 - f0) / (t1 - t0) <= 1.1 * 44100  # the clock runs at ~1x


def test_pause_resume_and_skip_on_the_device(pulse, short):
    result = probe(pulse, short, "controls", 7.0)
    print(
        "device control latency: pause {pause_latency:.3f} s, resume {resume_latency:.3f} s, "
        "next {next_latency:.3f} s".format(**result)
    )
    assert result["pause_latency"] < 0.6  # at most a block in flight plus the device buffer
    assert result["still_paused_frame"] == result["paused_frame"]
    assert result["resume_latency"] < 1.0
    assert result["next_latency"] < 0.6
    landed = result["next_frame"] - result["next_chapter_frame"]
    assert 0 <= landed < 44100  # heard from the chapter's first frame on


def test_cli_plays_on_the_default_device(pulse, short):
    start = short.timeline.duration - 2.0
    env = cli_env(short) | {k: pulse[k] for k in ("HOME", "XDG_RUNTIME_DIR", "PULSE_SERVER")}
    command = [sys.executable, "-m", "voicecoach.cli", "play", str(short.script)]
    began = time.monotonic()
    done = subprocess.run(
        [*command, "--sink", "default", "--from", f"0:{start:05.2f}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"finished ({clock(short.timeline.duration)})" in done.stderr
    assert time.monotonic() - began >= 1.9  # paced by the device, not as fast as possible


def test_ctrl_c_on_the_device_stops_cleanly(pulse, short):
    env = cli_env(short) | {k: pulse[k] for k in ("HOME", "XDG_RUNTIME_DIR", "PULSE_SERVER")}
    command = [sys.executable, "-m", "voicecoach.cli", "play", str(short.script)]
    process = subprocess.Popen(
        [*command, "--sink", "default"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        first = process.stderr.readline()  # the first chapter line: playing has begun
        assert "1/1 Hold" in first
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert rest.strip().splitlines()[-1].startswith("stopped at 0:0")
    assert rest.strip().endswith("exercise 1")


def test_no_device_is_one_line(short, tmp_path):
    pytest.importorskip("sounddevice", exc_type=OSError)
    env = cli_env(short) | {"PULSE_SERVER": f"unix:{tmp_path}/nothing", "HOME": str(tmp_path)}
    Path(tmp_path / ".asoundrc").write_text("pcm.!default { type pulse }\n")
    command = [sys.executable, "-m", "voicecoach.cli", "play", str(short.script)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--sink null" in lines[0]


class Terminal:
    """The parent's side of a pseudo-terminal: what the child wrote, read in order."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.text = ""
        self.cursor = 0

    def expect(self, text: str, timeout: float = 15.0) -> None:
        """Wait until ``text`` appears after the previous match."""
        deadline = time.monotonic() + timeout
        while (found := self.text.find(text, self.cursor)) < 0:
            assert time.monotonic() < deadline, f"no {text!r} in {self.text[-300:]!r}"
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    self.text += os.read(self.fd, 4096).decode("utf-8", "replace")
                except OSError:  # the child has gone
                    continue
        self.cursor = found + len(text)


def test_keys_in_a_terminal_pause_skip_and_quit(pulse, short):
    env = cli_env(short) | {k: pulse[k] for k in ("HOME", "XDG_RUNTIME_DIR", "PULSE_SERVER")}
    env["COLUMNS"] = "200"
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    command = [sys.executable, "-m", "voicecoach.cli", "play", str(short.script)]
    process = subprocess.Popen(command, env=env, stdin=slave, stdout=slave, stderr=slave)
    terminal = Terminal(master)
    try:
        terminal.expect("▶ 0:00")
        terminal.expect("1/1 Hold")
        os.write(master, b" ")
        terminal.expect("‖ ")
        os.write(master, b" ")
        terminal.expect("▶ ")
        os.write(master, b"n")
        terminal.expect("Finish")
        os.write(master, b"q")
        terminal.expect("stopped at 0:1")
        terminal.expect("Finish")
        assert process.wait(10) == 0
        after = termios.tcgetattr(slave)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
        os.close(slave)
    assert after == before  # the terminal is back in its normal mode
