"""The music bed: decoding, the crossfaded loop, fades and the ducking envelope."""

from __future__ import annotations

import subprocess
import tracemalloc

import numpy as np
import pytest
from audio_helpers import SR, make_music
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_helpers import examples

from voicecoach.audio import decode
from voicecoach.audio.decode import DecodeError, decode_file, decode_stream, probe_audio
from voicecoach.audio.music import (
    CROSSFADE,
    DUCK_ATTACK,
    DUCK_HOLD,
    DUCK_RELEASE,
    FADE_IN,
    FADE_OUT,
    MusicBed,
    MusicSettings,
    MusicSource,
    decode_music,
)
from voicecoach.errors import AudioError, ScriptError, SourceLocation
from voicecoach.wavio import build_wav, pcm16


def _bed(source, seconds, spans=(), duck=15.0):
    return MusicBed(
        np.asarray(source, dtype=np.float32), SR, round(seconds * SR), spans, duck_db=duck
    )


def _noise(seconds, seed=0):
    return np.random.default_rng(seed).uniform(-0.5, 0.5, round(seconds * SR)).astype(np.float32)


@pytest.mark.e2e
@pytest.mark.parametrize("suffix", ["mp3", "ogg", "wav", "m4a"])
def test_any_format_decodes_to_mono_at_the_track_rate(tmp_path, suffix):
    path = make_music(tmp_path / f"chord.{suffix}", 2.0, rate=48000, channels=2)
    samples = decode_file(path, SR)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - 2.0 * SR) < 0.06 * SR  # codec padding at most
    spectrum = np.abs(np.fft.rfft(samples[SR // 2 : SR // 2 + SR]))
    peak = np.argmax(spectrum)  # 1 s window: bins are 1 Hz
    assert min(abs(peak - f) for f in (220, 277, 330)) <= 2  # pitch survives resampling


def test_decoding_reads_at_most_the_limit(tmp_path):
    path = make_music(tmp_path / "long.wav", 3.0, rate=44100, channels=1)
    assert len(decode_file(path, SR, max_seconds=1.0)) == SR


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot be read"),
        (b"not audio at all", "cannot be decoded as audio"),
        (b"", "cannot be decoded as audio|holds no audio"),
    ],
)
def test_unusable_files_are_one_plain_error(tmp_path, content, expected):
    path = tmp_path / "song.mp3"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DecodeError, match=expected):
        decode_file(path, SR)
    with pytest.raises(DecodeError):
        probe_audio(path)


def test_a_folder_is_not_music(tmp_path):
    with pytest.raises(DecodeError, match="folder"):
        decode_file(tmp_path, SR)


def test_music_errors_are_located_where_the_programme_names_the_file(tmp_path):
    where = SourceLocation("p.yaml", 3, 8)
    with pytest.raises(ScriptError) as info:
        decode_music(MusicSettings(tmp_path / "gone.mp3", source=where), SR)
    assert str(info.value).startswith("p.yaml:3:8: music: ")
    assert "gone.mp3 cannot be read" in str(info.value)
    with pytest.raises(AudioError, match="^--music: .*gone.mp3 cannot be read"):
        decode_music(MusicSettings(tmp_path / "gone.mp3"), SR)


def _streamed(path, limit=None):
    chunks = list(decode_stream(path, SR, limit))
    return np.concatenate(chunks).astype(np.float32) / 32768.0


def _wav(path, seconds, codec, rate, channels):
    """A WAV file of pink noise over a 220 Hz sine (CODEC: pcm_s16le, pcm_s24le, ...)."""
    noise = f"anoisesrc=color=pink:duration={seconds}:amplitude=0.3:sample_rate={rate}"
    sine = f"sine=frequency=220:duration={seconds}:sample_rate={rate}"
    graph = "[0][1]amix=inputs=2:normalize=0" + ",asplit=2[a][b];[a][b]amerge" * (channels > 1)
    if channels > 2:
        graph = f"[0]asplit={channels}" + "".join(f"[c{i}]" for i in range(channels)) + ";"
        graph += "".join(f"[c{i}]" for i in range(channels)) + f"amerge=inputs={channels}"
    command = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", noise, "-f", "lavfi"]
    command += ["-i", sine, "-filter_complex", graph, "-c:a", codec, str(path)]
    subprocess.run(command, check=True)
    return path


@pytest.mark.parametrize(
    ("codec", "rate", "channels"),
    [
        ("pcm_s16le", 44100, 1),  # taken as it is
        ("pcm_s16le", 48000, 2),  # averaged and resampled
        ("pcm_s24le", 48000, 2),  # widened as pydub widens it
        ("pcm_u8", 22050, 1),  # unsigned
        ("pcm_s32le", 32000, 6),  # more than two channels
    ],
)
def test_the_streamed_decode_gives_pydubs_samples(tmp_path, monkeypatch, codec, rate, channels):
    monkeypatch.setattr(decode, "STREAM_FRAMES", 5000)  # many chunks, odd sizes
    path = _wav(tmp_path / "bed.wav", 3.0, codec, rate, channels)
    for limit in (None, 1.25):
        whole = decode_file(path, SR, limit)
        assert np.array_equal(_streamed(path, limit), whole)


@pytest.mark.e2e
@pytest.mark.parametrize("suffix", ["mp3", "ogg", "m4a", "opus"])
def test_the_streamed_decode_gives_pydubs_samples_from_codecs(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(decode, "STREAM_FRAMES", 7000)
    path = make_music(tmp_path / f"chord.{suffix}", 3.0, rate=48000, channels=2)
    for limit in (None, 1.25):
        assert np.array_equal(_streamed(path, limit), decode_file(path, SR, limit))


def test_a_float_wav_streams_as_its_samples(tmp_path):
    """pydub reads a 32-bit float WAV's samples as integers (loud noise); the stream
    has ffmpeg convert them."""
    path = tmp_path / "float.wav"
    sine = f"sine=frequency=441:duration=2:sample_rate={SR}"
    command = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", sine, "-af", "volume=0.5"]
    subprocess.run([*command, "-ac", "2", "-c:a", "pcm_f32le", str(path)], check=True)
    samples = _streamed(path)
    assert len(samples) == 2 * SR
    # ffmpeg's sine is 1/8: halved, and -3 dB in each channel from mono
    assert 0.043 < float(np.max(np.abs(samples))) < 0.045
    spectrum = np.abs(np.fft.rfft(samples[:SR]))
    assert abs(int(np.argmax(spectrum)) - 441) <= 1


def test_a_stream_that_is_not_audio_is_one_plain_error(tmp_path):
    path = tmp_path / "song.ogg"
    path.write_bytes(b"OggS" + bytes(range(256)) * 40)
    with pytest.raises(DecodeError, match="^cannot be decoded as audio"):
        list(decode_stream(path, SR))
    where = SourceLocation("p.yaml", 2, 8)
    with pytest.raises(ScriptError) as info:
        decode_music(MusicSettings(path, source=where), SR)
    assert str(info.value).startswith("p.yaml:2:8: music: ")
    assert "\n" not in str(info.value)


def _file_bed(tmp_path, samples, seconds, spans=()):
    """A bed over SAMPLES decoded from a 16-bit WAV file (its samples as they decode)."""
    path = tmp_path / "bed.wav"
    path.write_bytes(build_wav(pcm16(samples), SR))
    source = MusicSource.decode(path, SR)
    return _bed_over(source, seconds, spans), decode_file(path, SR)


def _bed_over(source, seconds, spans=()):
    return MusicBed(source, SR, round(seconds * SR), spans, duck_db=15.0)


@pytest.mark.parametrize("music_seconds", [2.0, 9.0])
def test_a_bed_read_from_its_decoded_file_is_the_bed_held_in_memory(tmp_path, music_seconds):
    spans = [(1.0, 2.0), (4.0, 4.3), (6.5, 8.0)]
    on_file, samples = _file_bed(tmp_path, _noise(music_seconds), 9.0, spans)
    in_memory = _bed_over(samples, 9.0, spans)
    assert on_file.loudness == in_memory.loudness
    for size in (441, 4410):
        assert np.array_equal(on_file.bin_powers(size), in_memory.bin_powers(size))
    whole = in_memory.render(0, in_memory.total_samples)
    assert np.array_equal(on_file.render(0, on_file.total_samples), whole)
    for size in (97, 16384):
        parts = [on_file.render(pos, size) for pos in range(-size, on_file.total_samples, size)]
        assert np.array_equal(np.concatenate(parts)[size : size + len(whole)], whole)


def test_the_bed_holds_a_block_not_the_music(tmp_path):
    """Decoding stereo music and playing stretches of it peaks at the same Python and
    numpy memory for 30 s as for 90 s of it (16 MB as mono float32): the pass waits in
    a file, and what is held is a chunk, a block, and the loudness meter's step."""
    peaks = []
    for seconds in (30, 90):
        path = _wav(tmp_path / f"long{seconds}.wav", seconds, "pcm_s16le", 48000, 2)
        tracemalloc.start()
        try:
            source = MusicSource.decode(path, SR)
            bed = _bed_over(source, 300.0, [(10.0, 12.0)])
            bed.bin_powers(441)
            for pos in range(0, 100 * SR, 16384 * 97):
                bed.render(pos, 16384)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert len(source) == seconds * SR
        source.close()
    assert abs(peaks[1] - peaks[0]) < 1_000_000
    assert peaks[1] < 0.75 * 90 * SR * 4


def test_short_music_loops_with_a_crossfade_and_no_jump():
    t = np.arange(round(1.5 * SR)) / SR
    source = 0.3 * np.sin(2 * np.pi * 5.0 * t)  # slow: a seam would show as a step
    bed = _bed(source, 10.0)
    out = bed.render(0, bed.total_samples)
    assert len(out) == 10 * SR
    middle = out[round(FADE_IN * SR) : round((10 - FADE_OUT) * SR)]
    assert np.max(np.abs(np.diff(middle))) < 0.01  # continuous through every seam
    # after the first pass the bed repeats with the loop period
    loop = len(source) - min(round(CROSSFADE * SR), len(source) // 4)
    a, b = out[3 * SR : 3 * SR + 1000], out[3 * SR + loop : 3 * SR + loop + 1000]
    assert np.allclose(a, b, atol=1e-6)


def test_long_music_plays_once_without_looping():
    source = _noise(20.0)
    bed = _bed(source, 8.0)
    out = bed.render(3 * SR, 1000)
    assert np.array_equal(out, source[3 * SR : 3 * SR + 1000])


def test_the_bed_fades_in_and_out_and_is_silent_outside_the_track():
    bed = _bed(np.full(SR, 0.5), 12.0)
    assert abs(bed.render(0, 1)[0]) < 1e-3
    assert abs(bed.render(bed.total_samples - 1, 1)[0]) < 1e-3
    assert bed.render(round(FADE_IN * SR) + 10, 1)[0] > 0.3
    assert not np.any(bed.render(-500, 500)) and not np.any(bed.render(bed.total_samples, 99))
    edge = bed.render(-10, 20)
    assert not np.any(edge[:10]) and len(edge) == 20


def _block_size_bed():
    """A looped bed (seams at 0.5 s and every 1.5 s) with three lines, fades, ducking."""
    return _bed(_noise(2.0), 9.0, spans=[(1.0, 2.0), (4.0, 4.3), (6.5, 8.0)])


def _edges(bed):
    """Sample indices where the bed's rendering changes: seams, fades, duck ramps, ends."""
    seconds = [0.5 + 1.5 * k for k in range(6)] + [FADE_IN, 9.0 - FADE_OUT, 9.0]
    for start, end in [(1.0, 2.0), (4.0, 4.3), (6.5, 8.0)]:
        seconds += [start - DUCK_ATTACK, start, end, end + DUCK_RELEASE]
    return [round(s * SR) for s in seconds] + [0, bed.total_samples]


def test_any_block_size_gives_the_same_samples():
    bed = _block_size_bed()
    whole = bed.render(0, bed.total_samples)
    for size in (97, 777, 4096, 50000):
        parts = [bed.render(pos, size) for pos in range(0, bed.total_samples, size)]
        assert np.array_equal(np.concatenate(parts)[: bed.total_samples], whole)
    for edge in _edges(bed):  # one sample at a time across every edge
        first, last = max(0, edge - 64), min(bed.total_samples, edge + 64)
        singles = [bed.render(pos, 1) for pos in range(first, last)]
        assert np.array_equal(np.concatenate(singles), whole[first:last])


@pytest.mark.e2e
def test_one_sample_blocks_give_the_same_samples_everywhere():
    bed = _block_size_bed()
    whole = bed.render(0, bed.total_samples)
    parts = [bed.render(pos, 1) for pos in range(bed.total_samples)]
    assert np.array_equal(np.concatenate(parts), whole)


def test_ducking_depth_and_ramps():
    duck = 15.0
    bed = _bed(np.full(SR, 0.5), 20.0, spans=[(5.0, 7.0), (14.0, 15.0)], duck=duck)
    index = np.arange(bed.total_samples)
    gain_db = 20 * np.log10(bed.duck_gain(index))
    under = (index >= 5 * SR) & (index < 7 * SR)
    assert np.allclose(gain_db[under], -duck, atol=1e-3)
    assert gain_db[round(10 * SR)] == pytest.approx(0.0, abs=1e-6)  # between lines
    # the ramp down starts DUCK_ATTACK before the line, the ramp up ends DUCK_RELEASE after
    assert gain_db[round((5 - DUCK_ATTACK) * SR) - 1] == pytest.approx(0.0, abs=1e-6)
    assert -duck < gain_db[round((5 - DUCK_ATTACK / 2) * SR)] < 0
    assert gain_db[round((7 + DUCK_RELEASE) * SR) + 1] == pytest.approx(0.0, abs=1e-6)
    assert 0.1 <= DUCK_ATTACK <= 0.3 and 0.1 <= DUCK_RELEASE <= 0.3
    assert np.max(np.abs(np.diff(gain_db))) < duck / (0.1 * SR) * 2  # no steps


def test_lines_close_together_keep_the_bed_down_between_them():
    gap = DUCK_ATTACK + DUCK_RELEASE + DUCK_HOLD - 0.1
    bed = _bed(np.full(SR, 0.5), 10.0, spans=[(2.0, 3.0), (3.0 + gap, 4.0 + gap)])
    depth = bed.duck_depth(np.arange(round(3 * SR), round((3 + gap) * SR)))
    assert np.all(depth == 1.0)


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 28.0), st.floats(0.05, 4.0)).map(lambda p: (p[0], p[0] + p[1])),
        max_size=12,
    ),
    st.floats(12.0, 40.0),
)
def test_every_spoken_sample_is_ducked_by_the_full_depth(spans, duck):
    bed = _bed(np.full(SR // 10, 0.5), 32.0, spans=spans, duck=duck)
    for start, end in spans:
        index = np.arange(round(start * SR), min(round(end * SR), bed.total_samples))
        if len(index):
            gain_db = 20 * np.log10(bed.duck_gain(index))
            assert np.all(gain_db <= -duck + 1e-3)


def test_silent_music_measures_as_silence():
    bed = _bed(np.zeros(SR), 4.0)
    assert bed.loudness == -np.inf
