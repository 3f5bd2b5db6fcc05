"""End to end: MP3s encoded without their silence and given it back as silent frames
(`audio/mp3_silence`), read back with ffmpeg, ffprobe and mutagen: every sample where a
whole-track encode has it, the frames and bytes of one, and the whole track encoded
instead when the silence is not silent."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from audio_helpers import SR, decode, ffprobe, speech_like
from mutagen.mp3 import MP3

from voicecoach.audio import encode as encode_module
from voicecoach.audio import mp3_silence, mp3frames
from voicecoach.audio.encode import FORMATS, encode_pcm
from voicecoach.audio.mp3_silence import FRAME, Shortened, plan_cuts
from voicecoach.wavio import pcm16

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(__import__("shutil").which("ffmpeg") is None, reason="needs ffmpeg"),
]


def spoken_track(seconds: float, seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """About SECONDS of speech-like bursts (0.3-3 s) after silences of 0.05-8 s, and the
    quiet spans between them (a length `mp3_length` keeps: nothing trimmed, no fade)."""
    rng = np.random.default_rng(seed)
    track = np.zeros(round(seconds * SR) // FRAME * FRAME + 1000, dtype=np.float32)
    quiet, pos = [], 0
    while True:
        gap = round(rng.uniform(0.05, 8.0) * SR)
        burst = speech_like(rng.uniform(0.3, 3.0), -14.0, int(rng.integers(1000)))
        if pos + gap + len(burst) > len(track):
            break
        quiet.append((pos, pos + gap))
        track[pos + gap : pos + gap + len(burst)] = burst
        pos += gap + len(burst)
    quiet.append((pos, len(track)))
    return track, quiet


def encode(track: np.ndarray, out, quiet, bitrate: int | None = None, progress=None):
    """TRACK encoded by `encode_pcm` into OUT with QUIET spans (PROGRESS told); OUT."""
    encode_pcm(
        lambda start: (track[pos : pos + 16384] for pos in range(start, len(track), 16384)),
        out,
        format="mp3",
        total_samples=len(track),
        sample_rate=SR,
        bitrate=bitrate,
        quiet=quiet,
        progress=progress,
    )
    return out


def kept_samples(shortened: Shortened) -> np.ndarray:
    """Which of the track's samples the encoder is fed (those outside every cut)."""
    kept = np.ones(shortened.length, dtype=bool)
    for cut in shortened.cuts:
        kept[cut.frame * FRAME : (cut.frame + cut.frames) * FRAME] = False
    return kept


def ffmpeg_mp3(samples: np.ndarray, out, bitrate: int = 96):
    """SAMPLES encoded by one ffmpeg with the build's MP3 settings; OUT."""
    command = ["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", str(SR), "-ac", "1"]
    command += ["-i", "pipe:0", *FORMATS["mp3"].codec_args, "-b:a", f"{bitrate}k", str(out)]
    subprocess.run(command, input=pcm16(samples), check=True)
    return out


def frames_of(path) -> tuple[bytes, list[int], bytes]:
    """PATH's Info frame, its audio frames' lengths and their bytes."""
    data = path.read_bytes()
    info = mp3frames.frame_length(data[:4])
    return data[:info], mp3frames.frame_lengths(data, info), data[info:]


@pytest.mark.parametrize(("encoders", "bitrate"), [(1, None), (2, None), (1, 48)])
def test_the_file_is_the_shortened_encode_with_its_silence_back(
    tmp_path, monkeypatch, encoders, bitrate
):
    monkeypatch.setattr(encode_module, "encoders", lambda: encoders)
    track, quiet = spoken_track(75.0)
    shortened = Shortened(len(track), plan_cuts(len(track), quiet))
    assert shortened.encoded < 0.6 * len(track)  # most of it is left out
    built = encode(track, tmp_path / "built.mp3", quiet, bitrate)
    kept = kept_samples(shortened)
    short = ffmpeg_mp3(track[kept], tmp_path / "short.mp3", bitrate or 96)
    expected = np.zeros(len(track))
    expected[kept] = decode(short)
    samples = decode(built)
    assert np.array_equal(samples, expected)  # bit for bit, every cut's zeros back
    whole = ffmpeg_mp3(track, tmp_path / "whole.mp3", bitrate or 96)
    # as close to the track as a whole-track encode is
    fidelity = [np.corrcoef(decoded, track)[0, 1] for decoded in (samples, decode(whole))]
    assert fidelity[0] > fidelity[1] - 0.002
    info, lengths, audio = frames_of(built)
    whole_info, whole_lengths, _ = frames_of(whole)
    assert len(lengths) == len(whole_lengths)  # the frames of a whole-track encode
    assert abs(sum(lengths) - sum(whole_lengths)) <= 2  # and its bytes: the bitrate
    assert mp3frames.info_frames(info) == len(lengths)
    assert mp3frames.info_samples(info) == mp3frames.info_samples(whole_info) == len(track)
    offset = mp3frames._xing_fields(info)
    assert int.from_bytes(info[offset + 152 : offset + 154], "big") == mp3frames.crc16(audio)
    assert MP3(built).info.length == MP3(whole).info.length
    assert ffprobe(built)["format"]["duration"] == ffprobe(whole)["format"]["duration"]


def test_silence_that_is_not_silent_is_encoded_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(encode_module, "encoders", lambda: 1)
    track, quiet = spoken_track(30.0, seed=3)
    lo, hi = max(quiet, key=lambda span: span[1] - span[0])
    track[(lo + hi) // 2] = 0.25  # a click where the mix said silence
    built = encode(track, tmp_path / "built.mp3", quiet)
    assert built.read_bytes() == ffmpeg_mp3(track, tmp_path / "whole.mp3").read_bytes()


def test_the_silence_goes_back_into_the_file_the_encoder_wrote(tmp_path):
    # the build's temp is locked by its inode (atomic.py): put_back writes into that
    # file, not a new one moved over it, and leaves nothing else in the folder
    track, quiet = spoken_track(30.0, seed=5)
    shortened = Shortened(len(track), plan_cuts(len(track), quiet))
    kept = kept_samples(shortened)
    out = ffmpeg_mp3(track[kept], tmp_path / "track.mp3")  # what the encoder writes
    expected = np.zeros(len(track))
    expected[kept] = decode(out)
    inode = out.stat().st_ino
    mp3_silence.put_back(out, shortened)
    assert out.stat().st_ino == inode and sorted(tmp_path.iterdir()) == [out]
    assert np.array_equal(decode(out), expected)


def test_a_file_not_silent_at_its_cuts_is_left_as_it_was(tmp_path):
    track, quiet = spoken_track(30.0, seed=5)
    shortened = Shortened(len(track), plan_cuts(len(track), quiet))
    out = ffmpeg_mp3(track[: shortened.encoded], tmp_path / "track.mp3")  # sound there
    before, inode = out.read_bytes(), out.stat().st_ino
    with pytest.raises(mp3_silence.NotSilent, match="not silent"):
        mp3_silence.put_back(out, shortened)
    assert out.read_bytes() == before and out.stat().st_ino == inode
    assert sorted(tmp_path.iterdir()) == [out]


def test_a_refused_put_back_leaves_the_file_and_encodes_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(encode_module, "encoders", lambda: 1)
    track, quiet = spoken_track(30.0, seed=6)
    # the frames before a cut's place are not silent (as if LAME carried sound on):
    # the whole track is encoded instead, and progress never goes back
    real = mp3frames.silent_frames
    calls = []

    def not_at_the_second_cut(side):
        calls.append(1)
        return real(side) & (len(calls) != 2)

    monkeypatch.setattr(mp3frames, "silent_frames", not_at_the_second_cut)
    told: list[float] = []
    out = encode(track, tmp_path / "built.mp3", quiet, progress=lambda done, _: told.append(done))
    assert len(calls) >= 2  # the check ran, and refused
    assert out.read_bytes() == ffmpeg_mp3(track, tmp_path / "whole.mp3").read_bytes()
    assert told == sorted(told) and told[-1] == len(track) / SR
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built.mp3", "whole.mp3"]
