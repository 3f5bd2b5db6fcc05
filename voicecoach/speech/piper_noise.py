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


def fix_noise(model: object, seed: int = 0) -> int:
    """Replace every RandomNormalLike node of an onnx ModelProto by fixed noise.

    Returns how many nodes were replaced. Each gets its own table (seed*16 + its
    index), so the duration noise and the latent noise are independent.
    """
    from onnx import helper, numpy_helper

    graph = model.graph  # type: ignore[attr-defined]
    nodes = []
    replaced = 0
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        p = f"voicecoach_noise{replaced}_"
        table = gaussian_table(seed * 16 + replaced)
        graph.initializer.extend(
            [
                numpy_helper.from_array(table, p + "table"),
                numpy_helper.from_array(np.array([TABLE_SIZE], np.int64), p + "size"),
                numpy_helper.from_array(np.array([TABLE_SIZE - 1], np.int64), p + "size_1"),
                numpy_helper.from_array(np.array([0], np.int64), p + "zero"),
            ]
        )
        like, out = node.input[0], node.output[0]
        nodes += [
            helper.make_node("Shape", [like], [p + "shape"]),
            helper.make_node("ReduceProd", [p + "shape"], [p + "count"], keepdims=1),
            helper.make_node("Add", [p + "count", p + "size_1"], [p + "ceil"]),
            helper.make_node("Div", [p + "ceil", p + "size"], [p + "repeats"]),
            helper.make_node("Tile", [p + "table", p + "repeats"], [p + "tiled"]),
            helper.make_node("Slice", [p + "tiled", p + "zero", p + "count"], [p + "flat"]),
            helper.make_node("Reshape", [p + "flat", p + "shape"], [out]),
        ]
        replaced += 1
    del graph.node[:]
    graph.node.extend(nodes)
    return replaced
