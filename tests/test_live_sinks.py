"""The file and null sinks: what they write equals the rendered track; atomic WAVs."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from test_live_support import tiny, tiny_mixer, tiny_track

from voicecoach.audio.assets import read_wav
from voicecoach.errors import VoiceCoachError
from voicecoach.live import NullSink, Player, WavSink, parse_sink
from voicecoach.live.device import DeviceSink, import_sounddevice
from voicecoach.wavio import to_int16


def wav_int16(path) -> np.ndarray:
    samples, rate = read_wav(path)
    assert rate == 44100
    return np.rint(samples * 32768.0).astype(np.int16)


def test_wav_sink_holds_the_rendered_track_sample_for_sample(tmp_path):
    out = tmp_path / "session.wav"
    Player(tiny_mixer(), WavSink(out)).run()
    written = wav_int16(out)
    assert np.array_equal(written, to_int16(tiny_track()))
    assert np.max(np.abs(written / 32767.0 - tiny_track())) <= 0.5 / 32767 + 1e-7


def test_wav_sink_with_pause_and_resume_writes_no_silence(tmp_path):
    out = tmp_path / "paused.wav"
    player = Player(tiny_mixer(), WavSink(out))
    for _ in range(30):
        player.step()
    player.pause()
    for _ in range(30):
        player.step()
    player.resume()
    player.run()
    assert np.array_equal(wav_int16(out), to_int16(tiny_track()))


def test_wav_appears_only_when_closed_and_not_at_all_on_error(tmp_path):
    out = tmp_path / "sub" / "x.wav"
    sink = WavSink(out)
    sink.open(44100)
    sink.write(np.zeros(100, np.float32))
    assert not out.exists()
    sink.close(complete=False)
    assert not out.exists() and list(out.parent.iterdir()) == []
    sink = WavSink(out)
    sink.open(44100)
    sink.write(np.full(10, 0.5, np.float32))
    sink.close()
    assert list(out.parent.iterdir()) == [out]
    assert wav_int16(out).tolist() == [16384] * 10


def test_a_failing_render_leaves_no_wav(tmp_path):
    out = tmp_path / "broken.wav"

    class Boom(WavSink):
        def write(self, block):
            if self.frames_played > 20000:
                raise RuntimeError("disk on fire")
            super().write(block)

    with pytest.raises(RuntimeError):
        Player(tiny_mixer(), Boom(out)).run()
    assert list(tmp_path.iterdir()) == []


def test_wav_sink_into_an_unwritable_place_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(VoiceCoachError, match="cannot write"):
        WavSink(blocker / "x.wav").open(44100)


def test_null_sink_clock_counts_frames_written():
    sink = NullSink()
    sink.open(44100)
    sink.write(np.zeros(300, np.float32))
    sink.write(np.zeros(200, np.float32))
    assert sink.frames_played == sink.discard() == 500
    with pytest.raises(ValueError):
        sink.samples()


def test_parse_sink_spellings(tmp_path):
    assert isinstance(parse_sink("null"), NullSink)
    wav = parse_sink(f"wav:{tmp_path}/a.wav")
    assert isinstance(wav, WavSink) and wav.path == tmp_path / "a.wav"
    assert isinstance(parse_sink("default"), DeviceSink)
    assert parse_sink("device:pulse").device == "pulse"
    for bad in ("speaker", "wav:", ""):
        with pytest.raises(ValueError):
            parse_sink(bad)


def test_missing_sounddevice_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice_not_here", None)
    with pytest.raises(VoiceCoachError, match="pip install sounddevice"):
        import_sounddevice("sounddevice_not_here")


def test_missing_portaudio_says_the_apt_command(monkeypatch):
    def no_library(name):
        raise OSError("PortAudio library not found")

    monkeypatch.setattr("voicecoach.live.device.importlib.import_module", no_library)
    with pytest.raises(VoiceCoachError, match="apt-get install libportaudio2") as err:
        DeviceSink().check()
    assert "\n" not in str(err.value)


def test_an_unknown_device_is_one_clear_line():
    pytest.importorskip("sounddevice", exc_type=OSError)
    with pytest.raises(VoiceCoachError, match="cannot find output device 'no-such-device-x'"):
        DeviceSink("no-such-device-x").check()


def test_tiny_session_has_the_chapters_the_tests_rely_on():
    titles = [c.title for c in tiny().timeline.chapters]
    assert titles[1:4] == ["Knee lift", "Hold", "Squat"] and len(titles) == 5
