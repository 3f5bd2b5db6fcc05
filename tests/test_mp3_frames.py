"""MP3 frames, the Info/LAME header, CRC-16, segment plans and the frame splicer.

The header and splicer are checked against what ffmpeg itself writes: a few seconds
encoded once per module (quick); whole builds split across encoders are in
test_mp3_split_e2e.py.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from voicecoach.audio import mp3frames
from voicecoach.audio.encode import FORMATS
from voicecoach.audio.split_encode import (
    CHECK,
    MIN_SEGMENT_SECONDS,
    PREROLL,
    QUIET_REACH,
    SILENCE_COST,
    TAIL,
    NotJoined,
    Segment,
    join_frames,
    plan_segments,
)

SR = 44100
FRAME = mp3frames.FRAME_SAMPLES


def reference_crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC one bit at a time (reflected 0x8005, no final XOR)."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@hsettings(deadline=None)
@given(st.binary(max_size=3000), st.integers(0, 0xFFFF))
def test_crc16_is_crc16_arc_and_continues(data, crc):
    assert mp3frames.crc16(data, crc) == reference_crc16(data, crc)
    half = len(data) // 2
    assert mp3frames.crc16(data[half:], mp3frames.crc16(data[:half])) == mp3frames.crc16(data)


@pytest.mark.parametrize("size", [4096, 70_000, (1 << 20) + 12_345])
def test_crc16_of_large_inputs_matches_the_bytewise_one(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert mp3frames.crc16(data, 0x1234) == reference_crc16(data, 0x1234)


def test_padding_period():
    assert mp3frames.padding_period(96, 44100) == 49
    assert mp3frames.padding_period(112, 44100) == 7  # 144 * 112 kbit / 44.1 kHz = 365.7...
    assert mp3frames.padding_period(128, 48000) == 1  # whole bytes: never padded


def synthetic_frames(count: int, seed: int = 0) -> bytes:
    """COUNT valid 96 kbit/s mono 44.1 kHz frame headers, padded as LAME pads, with
    random payloads."""
    rng = np.random.default_rng(seed)
    out, lag = bytearray(), 0
    for _ in range(count):
        lag += 20700  # 144 * 96000 mod 44100
        padded = lag >= 44100
        lag -= 44100 if padded else 0
        header = bytes((0xFF, 0xFB, 0x70 | (2 if padded else 0), 0xC0))
        length = mp3frames.frame_length(header)
        out += header + rng.integers(0, 256, length - 4, dtype=np.uint8).tobytes()
    return bytes(out)


def test_frames_are_walked_and_bad_bytes_refused():
    data = synthetic_frames(60)
    lengths = mp3frames.frame_lengths(data)
    assert len(lengths) == 60 and sum(lengths) == len(data)
    assert set(lengths) == {313, 314}
    assert lengths[49:] == lengths[:11] and lengths[:11] != lengths[1:12]  # period 49
    assert mp3frames.walk_frames(data[:-5]) == (lengths[:-1], len(data) - lengths[-1])
    with pytest.raises(ValueError, match="cut short"):
        mp3frames.frame_lengths(data[:-5])
    with pytest.raises(ValueError, match="no MPEG-1 Layer III frame at byte 313"):
        mp3frames.frame_lengths(data[:313] + b"\0" * 400)


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def encode(samples: np.ndarray, *extra: str, xing: bool = True) -> bytes:
    """SAMPLES (int16) encoded by ffmpeg with the build's MP3 settings."""
    command = ["ffmpeg", "-v", "error", "-f", "s16le", "-ar", str(SR), "-ac", "1", "-i", "-"]
    command += [*FORMATS["mp3"].codec_args, "-b:a", "96k", *extra, "-f", "mp3"]
    if xing:
        with __import__("tempfile").NamedTemporaryFile(suffix=".mp3") as out:
            subprocess.run([*command, "-y", out.name], input=samples.tobytes(), check=True)
            return open(out.name, "rb").read()
    command += ["-write_xing", "0", "-"]
    return subprocess.run(command, input=samples.tobytes(), capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def signal() -> np.ndarray:
    """12 s: speech-like bursts with silences (where joins go) and noise between."""
    rng = np.random.default_rng(7)
    t = np.arange(12 * SR) / SR
    x = np.sin(2 * np.pi * 180 * t) * 0.3 + rng.standard_normal(len(t)) * 0.05
    x *= (np.sin(2 * np.pi * 0.4 * t) > -0.2).astype(float)
    x[int(5.0 * SR) : int(6.5 * SR)] = 0.0
    return np.rint(x * 20000).astype(np.int16)


@needs_ffmpeg
def test_info_frame_rebuilt_from_its_frames_is_ffmpegs(signal):
    for samples in (signal, signal[: 5 * SR + 17]):
        data = encode(samples)
        first = mp3frames.frame_length(data[:4])
        info = data[:first]
        assert mp3frames.is_info_frame(info) and mp3frames.info_delay(info) == 576
        assert mp3frames.info_samples(info) == len(samples)
        lengths = mp3frames.frame_lengths(data, first)
        crc = mp3frames.crc16(data[first:])
        assert mp3frames.info_frame(info, lengths, len(samples), crc) == info


@needs_ffmpeg
def test_info_frame_says_how_many_samples_ffmpeg_decodes(signal, tmp_path):
    data = encode(signal)
    first = mp3frames.frame_length(data[:4])
    lengths = mp3frames.frame_lengths(data, first)
    shorter = mp3frames.info_frame(data[:first], lengths, len(signal) - 1000, 0)
    path = tmp_path / "shorter.mp3"
    path.write_bytes(shorter + data[first:])
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    assert len(decoded) // 2 == len(signal) - 1000
    with pytest.raises(ValueError, match="do not fit"):
        mp3frames.info_frame(data[:first], lengths, len(signal) + 5000, 0)


def pieces(data: bytes, segments: list[Segment]) -> tuple[io.BytesIO, list[io.BytesIO]]:
    """A single-stream file cut as the segments' encoders write it: the first with the
    Info frame up to its input's end, the others bare frames from their start."""
    first = mp3frames.frame_length(data[:4])
    lengths = mp3frames.frame_lengths(data, first)
    offsets = np.concatenate(([first], first + np.cumsum(lengths)))
    out = []
    for segment in segments:
        stop = len(lengths) if segment.stop is None else segment.stop + TAIL + 1
        out.append(data[offsets[segment.start] : offsets[stop]])
    return io.BytesIO(data[:first] + out[0]), [io.BytesIO(piece) for piece in out[1:]]


@needs_ffmpeg
def test_joined_pieces_of_one_stream_are_that_stream(signal):
    data = encode(signal)
    segments = [Segment(0, 0, 200, 0), Segment(147, 200, 300, 0), Segment(245, 300, None, 0)]
    joined, parts = pieces(data, segments)
    join_frames(joined, parts, segments, len(signal))
    assert joined.getvalue() == data


@needs_ffmpeg
def test_a_join_where_the_encoders_differ_is_refused(signal):
    data = bytearray(encode(signal))
    segments = [Segment(0, 0, 200, 0), Segment(147, 200, None, 0)]
    joined, parts = pieces(bytes(data), segments)
    second = bytearray(parts[0].getvalue())
    lengths = mp3frames.frame_lengths(bytes(second))
    second[sum(lengths[: 200 - 147 - 1]) + 40] ^= 0xFF  # one byte of frame 199
    with pytest.raises(NotJoined, match="differ at frame 200"):
        join_frames(joined, [io.BytesIO(bytes(second))], segments, len(signal))
    short = io.BytesIO(parts[0].getvalue()[: sum(lengths[:30])])
    joined, _ = pieces(bytes(data), segments)
    with pytest.raises(NotJoined):
        join_frames(joined, [short], segments, len(signal))


@needs_ffmpeg
def test_separate_encoders_started_on_the_padding_period_write_the_same_frames(signal):
    whole = encode(signal, xing=False)
    lengths = mp3frames.frame_lengths(whole)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    start = 3 * 49  # 3.8 s: inside the sound
    later = encode(signal[start * FRAME :], xing=False)
    later_lengths = mp3frames.frame_lengths(later)
    skip = sum(later_lengths[:PREROLL])
    assert later[skip:] == whole[offsets[start + PREROLL] :]
    off_period = encode(signal[(start + 5) * FRAME :], xing=False)
    assert off_period[skip:] != whole[offsets[start + 5 + PREROLL] :]  # padded elsewhere


def check_plan(segments: list[Segment], length: int, period: int) -> None:
    """What every plan guarantees."""
    assert segments[0].start == 0 and segments[0].first == 0
    assert segments[-1].stop is None and segments[-1].end == length
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.stop == after.first
        assert before.end == (before.stop + TAIL) * FRAME
        assert after.start % period == 0
        assert PREROLL <= after.first - after.start < PREROLL + period
        assert after.first - after.start >= CHECK
    min_frames = round(MIN_SEGMENT_SECONDS * SR / FRAME)
    firsts = [s.first for s in segments] + [length // FRAME]
    assert all(b - a >= min_frames for a, b in zip(firsts, firsts[1:], strict=False))


@given(
    st.integers(1, 4 * 3600 * SR),
    st.integers(1, 8),
    st.sampled_from([49, 7, 1]),
    st.lists(st.tuples(st.integers(0, 4 * 3600 * SR), st.integers(1, 60 * SR)), max_size=30),
)
def test_plans_cover_the_track_in_order(length, parts, period, spans):
    quiet = sorted((a, min(a + n, length)) for a, n in spans if a < length)
    segments = plan_segments(length, parts, period, quiet)
    if not segments:
        return
    assert len(segments) <= parts
    check_plan(segments, length, period)


def test_joins_go_into_silence_near_an_even_split():
    length = 600 * SR
    quiet = [(int(140 * SR), int(141 * SR)), (int(305 * SR), int(309 * SR))]
    segments = plan_segments(length, 2, 49, quiet)
    check_plan(segments, length, 49)
    join = segments[1].first
    assert 305 * SR + (CHECK + 2) * FRAME <= join * FRAME <= 309 * SR - TAIL * FRAME
    far = [(int(100 * SR), int(104 * SR))]  # further than QUIET_REACH from the middle
    assert 100 * SR < (300 - QUIET_REACH * 300) * SR
    middle = plan_segments(length, 2, 49, far)[1].first * FRAME / SR
    assert 300 < middle < 302  # where the cost splits evenly: silence costs less


def test_joins_split_the_encoding_cost_not_the_track():
    length = 600 * SR
    quiet = [(0, 200 * SR)]  # the first third silent: cheap to encode
    (_, second) = plan_segments(length, 2, 49, quiet)
    cost = 200 * SILENCE_COST + 400
    assert second.first * FRAME / SR == pytest.approx(
        200 + (cost / 2 - 200 * SILENCE_COST), abs=0.1
    )


def test_short_tracks_and_single_cores_are_not_split():
    assert plan_segments(round(2 * MIN_SEGMENT_SECONDS * SR) - 1, 4, 49) == []
    assert plan_segments(3600 * SR, 1, 49) == []
    assert len(plan_segments(3600 * SR, 4, 49)) == 4


def side_info(main_data_begin: int, granules: list[tuple[int, int]], filler: int) -> bytes:
    """Mono side info: MAIN_DATA_BEGIN, then each granule's part2_3_length and big_values
    (the other fields FILLER's bits), packed as the standard lays them out."""
    bits = f"{main_data_begin:09b}" + f"{filler:023b}"[:9]  # private bits, scfsi
    for part2_3_length, big_values in granules:
        bits += f"{part2_3_length:012b}{big_values:09b}" + f"{filler:038b}"
    return int(bits, 2).to_bytes(mp3frames.SIDE_INFO_BYTES, "big")


@given(
    frames=st.lists(
        st.tuples(
            st.integers(0, 511),
            st.tuples(st.integers(0, 4095), st.integers(0, 288)),
            st.tuples(st.integers(0, 4095), st.integers(0, 288)),
            st.integers(0, 2**38 - 1),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_side_info_fields_are_read_where_the_standard_puts_them(frames):
    """A frame is silent when both granules have no bits and no big values, whatever the
    other fields hold; main_data_begin is the first 9 bits."""
    rows = np.array([list(side_info(m, [g0, g1], f)) for m, g0, g1, f in frames], dtype=np.uint8)
    silent = [g0 == (0, 0) and g1 == (0, 0) for _, g0, g1, _ in frames]
    assert mp3frames.silent_frames(rows).tolist() == silent
    assert mp3frames.main_data_begin(rows).tolist() == [m for m, *_ in frames]
