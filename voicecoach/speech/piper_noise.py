"""Repeatable Piper audio: the model's random noise replaced by fixed noise tables.

A Piper (VITS) model draws Gaussian noise in two `RandomNormalLike` nodes (phoneme
durations and the voice's latent), so onnxruntime gives a slightly different clip on
every run, and `onnxruntime.set_seed` does not help: each node's generator keeps
advancing from run to run. Here every such node is replaced, in memory, by a slice of a
fixed table of standard normal noise (SplitMix64 + Box-Muller, computed with numpy from
a seed), reshaped to the node's input: the same phoneme ids with the same scales then
give the same samples, whatever was synthesised before. The noise keeps its
distribution, so the voice sounds as natural as with onnxruntime's own random numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

NOISE_FORMAT = "voicecoach.piper-noise/1"
"""Changes whenever the tables or the graph edit change (part of every cache key)."""
TABLE_SIZE = 1 << 18
"""Noise values per table (tiled for longer phrases: 1 MB each, about 30 s of latent)."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def gaussian_table(seed: int, size: int = TABLE_SIZE) -> np.ndarray:
    """SIZE standard normal float32 values, a pure function of SEED (platform independent)."""
    with np.errstate(over="ignore"):
        z = (np.arange(size, dtype=np.uint64) + np.uint64(seed) * _GOLDEN) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    uniform = (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)  # in [0, 1)
    radius = np.sqrt(-2.0 * np.log(1.0 - uniform[0::2]))
    angle = 2.0 * np.pi * uniform[1::2]
    out = np.empty(size, dtype=np.float64)
    out[0::2] = radius * np.cos(angle)
    out[1::2] = radius * np.sin(angle)
    return out.astype(np.float32)


def fixed_model(raw: bytes, seed: int = 0) -> tuple[bytes, int]:
    """The serialized onnx model RAW with every RandomNormalLike node replaced by fixed
    noise, and how many were replaced.

    Each node gets its own table (seed*16 + its index), so the duration noise and the
    latent noise are independent; the nodes that replace it (Shape, ReduceProd, Add,
    Div, Tile, Slice, Reshape of the table to the node's input) take its place in the
    graph, the tables join the initializers. The edit is made on the protobuf wire
    format (onnx.proto's field numbers), so the `onnx` package (whose import alone took
    about a second) is not needed: read back, the model is the one onnx's own
    classes would have made. ValueError for bytes that are not such a model.
    """
    data = memoryview(raw)
    graphs = [f for f in _fields(data) if f.number == _MODEL_GRAPH and f.wire == _LENGTH]
    if len(graphs) != 1:
        raise ValueError("not an onnx model with one graph")
    graph = graphs[0]
    parts: list[bytes | memoryview] = []
    tables: list[bytes] = []
    for field in _fields(data[graph.start : graph.end]):
        whole = data[graph.start + field.key : graph.start + field.end]
        if field.number != _GRAPH_NODE or field.wire != _LENGTH:
            parts.append(whole)
            continue
        node = data[graph.start + field.start : graph.start + field.end]
        values = {f.number: f for f in _fields(node) if f.wire == _LENGTH}
        op_type = values.get(_NODE_OP_TYPE)
        if op_type is None or bytes(node[op_type.start : op_type.end]) != b"RandomNormalLike":
            parts.append(whole)
            continue
        like = _first_string(node, _NODE_INPUT)
        out = _first_string(node, _NODE_OUTPUT)
        p = f"voicecoach_noise{len(tables)}_"
        table = gaussian_table(seed * 16 + len(tables))
        tables.append(
            _tensor(p + "table", _FLOAT, table.astype("<f4").tobytes(), len(table))
            + _tensor(p + "size", _INT64, np.array([TABLE_SIZE], "<i8").tobytes(), 1)
            + _tensor(p + "size_1", _INT64, np.array([TABLE_SIZE - 1], "<i8").tobytes(), 1)
            + _tensor(p + "zero", _INT64, np.array([0], "<i8").tobytes(), 1)
        )
        keepdims = _message(_ATTRIBUTE_NAME, b"keepdims") + _varint_field(_ATTRIBUTE_I, 1)
        keepdims += _varint_field(_ATTRIBUTE_TYPE, _ATTRIBUTE_INT)
        for op, inputs, output, attribute in (
            ("Shape", [like], p + "shape", b""),
            ("ReduceProd", [p + "shape"], p + "count", keepdims),
            ("Add", [p + "count", p + "size_1"], p + "ceil", b""),
            ("Div", [p + "ceil", p + "size"], p + "repeats", b""),
            ("Tile", [p + "table", p + "repeats"], p + "tiled", b""),
            ("Slice", [p + "tiled", p + "zero", p + "count"], p + "flat", b""),
            ("Reshape", [p + "flat", p + "shape"], out, b""),
        ):
            made = b"".join(_message(_NODE_INPUT, name.encode()) for name in inputs)
            made += _message(_NODE_OUTPUT, output.encode()) + _message(_NODE_OP_TYPE, op.encode())
            if attribute:
                made += _message(_NODE_ATTRIBUTE, attribute)
            parts.append(_message(_GRAPH_NODE, made))
    parts += tables  # after the initializers already there, as extending the list does
    length = sum(len(part) for part in parts)
    header = _varint(_MODEL_GRAPH << 3 | _LENGTH) + _varint(length)
    model = [data[: graph.key], header, *parts, data[graph.end :]]
    return b"".join(model), len(tables)  # one copy of the model's 60 MB


# onnx.proto field numbers (ModelProto, GraphProto, NodeProto, AttributeProto,
# TensorProto) and the protobuf wire types used
_MODEL_GRAPH, _GRAPH_NODE, _GRAPH_INITIALIZER = 7, 1, 5
_NODE_INPUT, _NODE_OUTPUT, _NODE_OP_TYPE, _NODE_ATTRIBUTE = 1, 2, 4, 5
_ATTRIBUTE_NAME, _ATTRIBUTE_I, _ATTRIBUTE_TYPE, _ATTRIBUTE_INT = 1, 3, 20, 2
_TENSOR_DIMS, _TENSOR_DATA_TYPE, _TENSOR_NAME, _TENSOR_RAW_DATA = 1, 2, 8, 9
_FLOAT, _INT64 = 1, 7
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class _Field(NamedTuple):
    """One field of a protobuf message: offsets of its key, its value, and its end."""

    number: int
    wire: int
    key: int
    start: int
    end: int


def _read_varint(data: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated protobuf varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(data: memoryview) -> Iterator[_Field]:
    """The fields of the protobuf message DATA, in order."""
    pos = 0
    while pos < len(data):
        key, start = _read_varint(data, pos)
        wire = key & 7
        if wire == _VARINT:
            end = _read_varint(data, start)[1]
        elif wire == _FIXED64:
            end = start + 8
        elif wire == _FIXED32:
            end = start + 4
        elif wire == _LENGTH:
            length, start = _read_varint(data, start)
            end = start + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if end > len(data):
            raise ValueError("truncated protobuf field")
        yield _Field(key >> 3, wire, pos, start, end)
        pos = end


def _first_string(message: memoryview, number: int) -> str:
    """The first string field NUMBER of MESSAGE (ValueError if there is none)."""
    for field in _fields(message):
        if field.number == number and field.wire == _LENGTH:
            return bytes(message[field.start : field.end]).decode("utf-8")
    raise ValueError(f"a RandomNormalLike node without field {number}")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3 | _VARINT) + _varint(value)


def _message(number: int, payload: bytes) -> bytes:
    """A length-delimited field (a string, bytes or a message)."""
    return _varint(number << 3 | _LENGTH) + _varint(len(payload)) + payload


def _tensor(name: str, data_type: int, raw: bytes, size: int) -> bytes:
    """A graph initializer: a 1-D TensorProto of SIZE values."""
    tensor = _varint_field(_TENSOR_DIMS, size) + _varint_field(_TENSOR_DATA_TYPE, data_type)
    tensor += _message(_TENSOR_NAME, name.encode()) + _message(_TENSOR_RAW_DATA, raw)
    return _message(_GRAPH_INITIALIZER, tensor)
