"""MPEG-1 Layer III frames and the Xing/Info + LAME header ffmpeg's mp3 muxer writes.

Enough to join frame sequences from several encoders into one file (`audio/split_encode`):
walk frames (`frame_lengths`), and rewrite an Info frame for the joined frames (`info_frame`)
the way ffmpeg does: frame and byte counts, the seek table (TOC), the encoder delay and
padding that make decoders return exactly the encoded samples, the music CRC (over every
audio frame) and the tag CRC (over the header's first 190 bytes), both CRC-16/ARC.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np

FRAME_SAMPLES = 1152
"""Samples per MPEG-1 Layer III frame."""

DECODER_DELAY = 529
"""Samples a decoder's filterbank delays by (528 + 1, as ffmpeg counts it)."""

_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)
_XING_OFFSET = {1: 4 + 17, 2: 4 + 32}  # header + side info, by channel count
_TOC_SIZE = 100
_BAGS = 400
_TAG_CRC_BYTES = 190


def frame_length(header: bytes) -> int:
    """Bytes of the MPEG-1 Layer III frame whose 4-byte HEADER is given (ValueError if it
    is not one: no sync, another version or layer, a free or bad bitrate or rate)."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xFE != 0xFA:
        raise ValueError("not an MPEG-1 Layer III frame header")
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if not 0 < bitrate_index < 15 or rate_index == 3:
        raise ValueError("bad bitrate or sample rate in a frame header")
    padding = (header[2] >> 1) & 1
    return 144000 * _BITRATES[bitrate_index] // _RATES[rate_index] + padding


def sample_rate(header: bytes) -> int:
    """Sample rate of an MPEG-1 Layer III frame HEADER."""
    frame_length(header)
    return _RATES[(header[2] >> 2) & 3]


def channels(header: bytes) -> int:
    """Channel count of a frame HEADER (mode 3 is mono)."""
    return 1 if header[3] >> 6 == 3 else 2


def frame_bytes(header: bytes) -> float:
    """Bytes a frame of HEADER's bitrate and rate holds on average (``144 * bitrate /
    rate``: a constant-bitrate encoder pads some frames by a byte to keep to it)."""
    frame_length(header)
    return 144000 * _BITRATES[header[2] >> 4] / _RATES[(header[2] >> 2) & 3]


def padding_period(bitrate_kbps: int, rate: int) -> int:
    """Frames after which a constant-bitrate encoder's padding slots repeat (LAME pads a
    frame whenever the running remainder of ``144 * bitrate / rate`` bytes overflows):
    two encoders started a multiple of this many frames apart pad the same frames."""
    from math import gcd

    return rate // gcd(144000 * bitrate_kbps, rate)


def frame_lengths(data: bytes, start: int = 0) -> list[int]:
    """Length of each frame in DATA from byte START to its end (ValueError if a frame
    is not where the previous one ends, or the last one is cut short)."""
    lengths, end = walk_frames(data, start)
    if end != len(data):
        raise ValueError(f"the frame at byte {end} is cut short")
    return lengths


def walk_frames(data: bytes, start: int = 0) -> tuple[list[int], int]:
    """Lengths of the whole frames in DATA from byte START on, and the byte after the
    last of them (a frame cut short at the end of DATA is left out; ValueError if bytes
    that should start a frame do not)."""
    lengths: list[int] = []
    pos, end = start, len(data)
    while pos + 4 <= end:
        length = _BY_THIRD_BYTE[data[pos + 2]]
        if not length or data[pos] != 0xFF or data[pos + 1] & 0xFE != 0xFA:
            raise ValueError(f"no MPEG-1 Layer III frame at byte {pos}")
        if pos + length > end:
            break
        lengths.append(length)
        pos += length
    return lengths, pos


def frame_table(handle: BinaryIO, base: int, chunk: int = 1 << 20) -> array:
    """The length of every frame in HANDLE from byte BASE on, read CHUNK bytes at a time
    (ValueError if the bytes there are not whole frames)."""
    handle.seek(base)
    table, carry = array("H"), b""
    while data := handle.read(chunk):
        buffer = carry + data
        lengths, end = walk_frames(buffer)
        table.extend(lengths)
        carry = buffer[end:]
    if carry:
        raise ValueError("the frames end with a partial frame")
    return table


def frame_offsets(table: array, base: int) -> np.ndarray:
    """Byte offset of each frame in TABLE (frame lengths) and of the end, from BASE."""
    offsets = np.empty(len(table) + 1, dtype=np.int64)
    offsets[0] = base
    np.cumsum(np.frombuffer(table, dtype=np.uint16), out=offsets[1:])
    offsets[1:] += base
    return offsets


SIDE_INFO_BYTES = 17
"""Bytes of a mono MPEG-1 Layer III frame's side info (after its 4-byte header, when
it has no CRC): main_data_begin, private bits, scfsi, then two granules of 59 bits."""


def silent_frames(side: np.ndarray) -> np.ndarray:
    """For each row of SIDE (mono frames' side info, `SIDE_INFO_BYTES` each), whether
    the frame holds no audio: both granules carry no scalefactor or Huffman bits
    (part2_3_length 0, big_values 0), so every spectral line is zero."""
    side = side.astype(np.uint32)

    def field(bit: int, width: int) -> np.ndarray:  # a big-endian bit field of each row
        first = bit // 8
        word = (side[:, first] << 16) | (side[:, first + 1] << 8) | side[:, first + 2]
        return (word >> (24 - width - bit % 8)) & ((1 << width) - 1)

    granules = [(18, 30), (18 + 59, 30 + 59)]  # part2_3_length, big_values
    return np.logical_and.reduce(
        [field(p, 12) == 0 for p, _ in granules] + [field(b, 9) == 0 for _, b in granules]
    )


def main_data_begin(side: np.ndarray) -> np.ndarray:
    """For each row of SIDE (frames' side info), how many bytes before the frame its
    audio data begins (0 for every frame of an encode with the bit reservoir off)."""
    side = side.astype(np.uint32)
    return (side[:, 0] << 1) | (side[:, 1] >> 7)


def _length_or_zero(third: int) -> int:
    """A frame's length from its header's third byte (0 if that byte is not valid)."""
    try:
        return frame_length(bytes((0xFF, 0xFB, third, 0)))
    except ValueError:
        return 0


_BY_THIRD_BYTE = [_length_or_zero(third) for third in range(256)]


def is_info_frame(frame: bytes) -> bool:
    """Whether FRAME is a Xing or Info header frame (it carries no audio)."""
    try:
        offset = _XING_OFFSET[channels(frame)]
    except (ValueError, IndexError):
        return False
    return frame[offset : offset + 4] in (b"Xing", b"Info")


def info_encoder(frame: bytes) -> bytes:
    """The encoder an Info FRAME's LAME tag names (9 bytes, e.g. ``b"Lavc59.37"``)."""
    offset = _xing_fields(frame)
    return bytes(frame[offset + 120 : offset + 129])


def info_padding(frame: bytes) -> int:
    """The samples after the last one an Info FRAME's LAME tag says to drop."""
    offset = _xing_fields(frame)
    return int.from_bytes(frame[offset + 141 : offset + 144], "big") & 0xFFF


def info_delay(frame: bytes) -> int:
    """The encoder delay an Info FRAME's LAME tag records (samples, before the decoder's)."""
    offset = _xing_fields(frame)
    return int.from_bytes(frame[offset + 141 : offset + 144], "big") >> 12


def info_frame(template: bytes, lengths: Sequence[int], samples: int, music_crc: int) -> bytes:
    """TEMPLATE (an Info frame ffmpeg wrote) made to describe audio frames of LENGTHS
    (bytes each) holding SAMPLES samples, whose bytes have CRC-16 MUSIC_CRC: the frame
    count, the byte count (this frame included), the TOC (ffmpeg's), the padding after
    the last sample, the music length and both CRCs. Its encoder delay stays."""
    frame = bytearray(template)
    offset = _xing_fields(frame)
    total = len(frame) + sum(lengths)
    frame[offset + 8 : offset + 12] = len(lengths).to_bytes(4, "big")
    frame[offset + 12 : offset + 16] = total.to_bytes(4, "big")
    frame[offset + 16 : offset + 16 + _TOC_SIZE] = toc(len(frame), lengths)
    delay = info_delay(template)
    padding = len(lengths) * FRAME_SAMPLES - delay - samples
    if not 0 <= padding < 4096:
        raise ValueError(f"{samples} samples do not fit {len(lengths)} frames")
    frame[offset + 141 : offset + 144] = ((delay << 12) | padding).to_bytes(3, "big")
    frame[offset + 148 : offset + 152] = total.to_bytes(4, "big")
    frame[offset + 152 : offset + 154] = music_crc.to_bytes(2, "big")
    frame[offset + 154 : offset + 156] = bytes(2)  # inside the 190 bytes for mono
    frame[offset + 154 : offset + 156] = crc16(bytes(frame[:_TAG_CRC_BYTES])).to_bytes(2, "big")
    return bytes(frame)


def info_frames(frame: bytes) -> int:
    """Audio frames the file an Info FRAME heads holds, as the frame records."""
    offset = _xing_fields(frame)
    return int.from_bytes(frame[offset + 8 : offset + 12], "big")


def info_samples(frame: bytes) -> int:
    """Samples a decoder returns for the file FRAME heads (frames, delay and padding)."""
    return info_frames(frame) * FRAME_SAMPLES - info_delay(frame) - info_padding(frame)


def _xing_fields(frame: bytes | bytearray) -> int:
    """Where the Xing/Info tag of FRAME starts (ValueError unless it has ffmpeg's full
    layout: frames, bytes, TOC and quality fields, then a LAME-style tag)."""
    if not is_info_frame(bytes(frame[:40])):
        raise ValueError("not a Xing/Info frame")
    offset = _XING_OFFSET[channels(bytes(frame[:4]))]
    if int.from_bytes(frame[offset + 4 : offset + 8], "big") != 0x0F:
        raise ValueError("the Info tag lacks the fields ffmpeg writes")
    if len(frame) < offset + 156:
        raise ValueError("the Info frame is too short for a LAME tag")
    return offset


def toc(first: int, lengths: Sequence[int]) -> bytes:
    """The 100-entry seek table ffmpeg's mp3 muxer writes (after LAME's VbrTag.c): the
    byte position, in 256ths of the file, after every few frames; FIRST is the Info
    frame's length."""
    size, want, seen, bags = first, 1, 0, []
    for length in lengths:
        size += length
        seen += 1
        if seen == want:
            bags.append(size)
            if len(bags) == _BAGS:
                bags = bags[1::2]
                want *= 2
            seen = 0
    table = bytearray(_TOC_SIZE)
    for i in range(1, _TOC_SIZE):
        table[i] = min(256 * bags[i * len(bags) // _TOC_SIZE] // size, 255) if bags else 0
    return bytes(table)


def _crc_table() -> np.ndarray:
    """The byte table of CRC-16/ARC (reflected polynomial 0xA001)."""
    table = np.zeros(256, dtype=np.uint32)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table[byte] = crc
    return table


_TABLE = _crc_table()
_LANES, _WIDTH = 16384, 64
"""CRC lanes worked on side by side, and bytes per lane: 1 MB at a time."""


@functools.lru_cache(maxsize=64)
def _zeros_matrix(count: int) -> tuple[int, ...]:
    """The CRC register's image under COUNT zero bytes, per register bit (CRC-16/ARC is
    linear over GF(2), so a register shifted through zeros is an XOR of these)."""
    power = [int(_TABLE[(1 << bit) & 0xFF]) ^ ((1 << bit) >> 8) for bit in range(16)]
    result = [1 << bit for bit in range(16)]
    while count:
        if count & 1:
            result = [_apply(power, value) for value in result]
        power = [_apply(power, value) for value in power]
        count >>= 1
    return tuple(result)


def _apply(matrix: Sequence[int], value: int) -> int:
    """MATRIX (the images of each bit) applied to the 16-bit VALUE."""
    out = 0
    for bit in range(16):
        if value >> bit & 1:
            out ^= matrix[bit]
    return out


def _apply_lanes(matrix: Sequence[int], values: np.ndarray) -> np.ndarray:
    """MATRIX applied to every value in VALUES."""
    out = np.zeros_like(values)
    for bit in range(16):
        out ^= ((values >> bit) & 1) * np.uint32(matrix[bit])
    return out


def crc16(data: bytes | memoryview, crc: int = 0) -> int:
    """CRC-16/ARC of DATA, continuing from CRC (the CRC of what came before it), as
    ffmpeg's ``AV_CRC_16_ANSI_LE`` computes it. A megabyte at a time is split into lanes
    worked on side by side, then joined: with no final XOR, a register shifted through
    zero bytes is a linear map of it."""
    arr = np.frombuffer(data, dtype=np.uint8)
    chunk = _LANES * _WIDTH
    for first in range(0, len(arr), chunk):
        part = arr[first : first + chunk]
        crc = _apply(_zeros_matrix(len(part)), crc) ^ _crc_from_zero(part)
    return crc


def _crc_from_zero(arr: np.ndarray) -> int:
    """CRC-16/ARC of at most a megabyte of bytes, from a zero register."""
    if len(arr) < 4096:
        crc, table = 0, _TABLE.tolist()
        for byte in arr.tolist():
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        return crc
    lanes = 1 << max(0, (-(-len(arr) // _WIDTH) - 1).bit_length())
    padded = np.zeros(lanes * _WIDTH, dtype=np.uint8)  # zeros first leave the register 0
    padded[len(padded) - len(arr) :] = arr
    words = padded.view("<u2").reshape(lanes, _WIDTH // 2).T.copy()
    table = _word_table()
    registers = np.zeros(lanes, dtype=np.uint16)
    for column in words:
        registers = table[registers ^ column]
    span = _WIDTH
    registers = registers.astype(np.uint32)
    while len(registers) > 1:
        registers = _apply_lanes(_zeros_matrix(span), registers[0::2]) ^ registers[1::2]
        span *= 2
    return int(registers[0])


@functools.cache
def _word_table() -> np.ndarray:
    """The register after two bytes, by the register XOR the bytes (little-endian): a
    16-bit CRC's register is then a function of that XOR alone."""
    word = np.arange(65536, dtype=np.uint32)
    step = _TABLE[word & 0xFF] ^ (word >> 8)
    return (_TABLE[step & 0xFF] ^ (step >> 8)).astype(np.uint16)
