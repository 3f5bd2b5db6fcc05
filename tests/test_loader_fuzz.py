"""Hostile and random input: loading succeeds or raises one located VoiceCoachError.

Never any other exception, never a message over several lines, never a hang.
"""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from core_helpers import EXAMPLES, fake_measure
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_helpers import examples

from voicecoach.errors import LimitError, VoiceCoachError
from voicecoach.script import load_programme
from voicecoach.script.loader import EXERCISE_KEYS, PROGRAMME_KEYS, VOICE_KEYS
from voicecoach.timeline import compile_programme

FUZZ = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Errors about a whole file may have no line; everything else must name one.
_FILE_LEVEL = re.compile(
    r"no such file|is a folder|cannot read file|file is .*bytes|over the limit of \d+ bytes"
    r"|values once aliases are expanded|nested too deeply|invalid YAML|the session would last"
)


def check_error(err: VoiceCoachError, folder: Path) -> None:
    """A located, one-line error naming a file in FOLDER (the programme or its library)."""
    text = str(err)
    assert "\n" not in text and "\r" not in text, text
    assert "Traceback" not in text
    assert err.location is not None, text
    file = err.location.file
    roots = (str(folder), str(folder.resolve()))
    assert file.startswith(roots), (file, roots)
    assert text.startswith(file + ":"), text
    if err.location.line is None:
        assert _FILE_LEVEL.search(err.message), f"no line number in: {text}"
    else:
        assert err.location.line >= 1
        prefix = f"{file}:{err.location.line}:"
        assert text.startswith(prefix), text
        if err.location.column is not None:
            assert err.location.column >= 1
            assert text.startswith(f"{prefix}{err.location.column}: "), text


def load_outcome(path: Path, folder: Path, **kwargs) -> str:
    """Load PATH; then compile it. Returns 'ok' or the error class name."""
    try:
        programme = load_programme(path, **kwargs)
    except VoiceCoachError as err:
        check_error(err, folder)
        return type(err).__name__
    try:
        compile_programme(programme, fake_measure)
    except LimitError as err:  # a valid but over-long session
        assert "the session would last" in err.message
        return "LimitError"
    return "ok"


# --- random YAML documents ------------------------------------------------------------

text_chars = st.characters(blacklist_categories=("Cs",))
ALL_KEYS = sorted(set(PROGRAMME_KEYS) | set(EXERCISE_KEYS) | set(VOICE_KEYS))
keys = st.one_of(
    st.sampled_from(ALL_KEYS),
    st.sampled_from(["rep", "Title", "exercise", "setups", "<<", "", "library ", "sides\t"]),
    st.text(text_chars, max_size=12),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.sampled_from([0, -1, 1, 3, 10**9, 10**30, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["45s", "2m", "1m30s", "1h", "99h", "2-1-3", "3-1-3-1", "0-0-0", "fast", "both", "left"]
    ),
    st.sampled_from(["en", "nl", "xx", "bird-dog", "../secret", "/etc/passwd", "a" * 300]),
    st.text(text_chars, max_size=40),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
exercise_like = st.dictionaries(
    st.sampled_from(EXERCISE_KEYS) | keys, values, min_size=1, max_size=8
)
programme_like = st.fixed_dictionaries(
    {"title": values, "exercises": st.lists(exercise_like, max_size=3) | values},
    optional={
        "language": values,
        "voice": values,
        "intro": values,
        "defaults": exercise_like | values,
        "library": values,
    },
)


def dump(document) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@FUZZ
@given(document=st.one_of(values, programme_like, programme_like))
def test_random_documents(document):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "random.yaml"
        path.write_text(dump(document), encoding="utf-8")
        load_outcome(path, folder)


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(text_chars, max_size=300).map(str.encode))
def test_random_bytes(raw):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "bytes.yaml"
        path.write_bytes(raw)
        load_outcome(path, folder)


# --- mutations of the bundled demo programme -----------------------------------------

DEMO = EXAMPLES / "hip-stability.yaml"
DEMO_LIBRARY = EXAMPLES / "exercises"
LIBRARY_FILES = sorted(p.name for p in DEMO_LIBRARY.glob("*.yaml"))

HOSTILE = [
    0,
    -1,
    -0.5,
    0.001,
    10**9,
    10**400,
    1e308,
    float("inf"),
    float("nan"),
    "",
    " ",
    None,
    True,
    [],
    {},
    [[[]]],
    "1h",
    "999h",
    "-5s",
    "2-1-3-1-1",
    "2-1",
    "x" * 10_000,
    " " * 5_000 + "x",
    "1" * 500,
    "both",
    "../exercises/bird-dog",
    "bird-dog",
    "nl",
    "zz",
    {"engine": "x", "rate": 10},
]
hostile_values = st.sampled_from(HOSTILE)
deep = st.integers(30, 60).map(lambda n: _nest(n))


def _nest(depth: int):
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def _containers(node, path=()):
    """Every (path, container) in a document: mappings and lists."""
    if isinstance(node, dict | list):
        yield path, node
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            yield from _containers(child, (*path, key))


def _typo(key: str, draw) -> str:
    if not key:
        return "x"
    i = draw(st.integers(0, len(key) - 1))
    kind = draw(st.sampled_from(["drop", "double", "swap", "upper", "space"]))
    if kind == "drop":
        return key[:i] + key[i + 1 :] or "x"
    if kind == "double":
        return key[:i] + key[i] + key[i:]
    if kind == "swap" and i + 1 < len(key):
        return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    if kind == "upper":
        return key.upper()
    return key + " "


@st.composite
def mutated(draw, document):
    """DOCUMENT with one to four mutations: keys removed or misspelt, values swapped."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        spots = list(_containers(document))
        _, container = draw(st.sampled_from(spots))
        if not container:
            continue
        if isinstance(container, dict):
            key = draw(st.sampled_from(sorted(container, key=str)))
        else:
            key = draw(st.integers(0, len(container) - 1))
        op = draw(
            st.sampled_from(
                ["delete", "typo", "hostile", "hostile", "random", "deep", "wrap", "unwrap", "text"]
            )
        )
        value = container[key]
        if op == "delete":
            del container[key]
        elif op == "typo" and isinstance(container, dict):
            container[_typo(str(key), draw)] = container.pop(key)
        elif op == "hostile":
            container[key] = copy.deepcopy(draw(hostile_values))  # never share a sample
        elif op == "random":
            container[key] = draw(values)
        elif op == "deep":
            container[key] = draw(deep)
        elif op == "wrap":
            container[key] = [value]
        elif op == "unwrap" and isinstance(value, list | dict) and value:
            container[key] = next(iter(value.values() if isinstance(value, dict) else value))
        elif op == "text":
            container[key] = str(value)
    return document


def demo_copy(folder: Path) -> tuple[Path, dict[str, object]]:
    """The demo programme and its library copied into FOLDER; their parsed documents."""
    shutil.copytree(DEMO_LIBRARY, folder / "exercises")
    shutil.copy(DEMO, folder / DEMO.name)
    documents = {DEMO.name: yaml.safe_load(DEMO.read_text(encoding="utf-8"))}
    for name in LIBRARY_FILES:
        documents[f"exercises/{name}"] = yaml.safe_load(
            (DEMO_LIBRARY / name).read_text(encoding="utf-8")
        )
    return folder / DEMO.name, documents


def test_the_unmutated_demo_loads_and_compiles(tmp_path):
    path, _ = demo_copy(tmp_path)
    assert load_outcome(path, tmp_path) == "ok"


@FUZZ
@given(data=st.data())
def test_mutations_of_the_demo(data):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path, documents = demo_copy(folder)
        target = data.draw(
            st.sampled_from([DEMO.name, DEMO.name, *(f"exercises/{n}" for n in LIBRARY_FILES)])
        )
        changed = data.draw(mutated(documents[target]))
        assume(changed != documents[target])
        (folder / target).write_text(dump(changed), encoding="utf-8")
        load_outcome(path, folder)


YAML_SIGNIFICANT = list(":-[]{},&*!|>'\"#%@`?\t\n ") + ["\\", "\x00", "\x07", "\ufeff", "é"]


@FUZZ
@given(data=st.data())
def test_text_edits_of_the_demo(data):
    """Characters inserted, deleted or replaced anywhere in the demo's YAML text."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path, _ = demo_copy(folder)
        target = data.draw(st.sampled_from([path, *sorted((folder / "exercises").glob("*.yaml"))]))
        text = target.read_text(encoding="utf-8")
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(text)))
            edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
            char = data.draw(st.sampled_from(YAML_SIGNIFICANT) | text_chars)
            if edit == "insert":
                text = text[:at] + char + text[at:]
            elif edit == "delete":
                text = text[:at] + text[at + 1 :]
            else:
                text = text[:at] + char + text[at + 1 :]
        target.write_text(text, encoding="utf-8")
        load_outcome(path, folder)


# --- specific hostile inputs, each quick ----------------------------------------------


# Wall-clock bounds here only catch hangs and runaway (e.g. quadratic) work: they are
# far above the real cost so a busy machine cannot fail them; speed lives in bench.py.
HANG_GUARD = 30.0


@pytest.mark.e2e  # 750 loads and compiles
def test_hostile_values_in_every_exercise_field_fail_fast(tmp_path):
    """Every field given every hostile value: a clean outcome, and no hang."""
    started = time.perf_counter()
    outcomes = set()
    for field in EXERCISE_KEYS:
        for value in HOSTILE:
            exercise = {"name": "A", "reps": 3, field: value}
            doc = {"title": "T", "exercises": [exercise]}
            path = tmp_path / "p.yaml"
            path.write_text(dump(doc), encoding="utf-8")
            outcomes.add(load_outcome(path, tmp_path))
    assert time.perf_counter() - started < HANG_GUARD
    assert {"ok", "ScriptError", "LimitError"} <= outcomes


def test_a_huge_single_line_fails_fast(tmp_path):
    path = tmp_path / "p.yaml"
    for line in (
        "title: " + "x" * 200_000,
        "title: T\nexercises: [" + "{name: A, reps: 1}, " * 3000 + "]",
        "title: T\nexercises:\n  - name: A\n    reps: 3\n    rest: '" + " " * 200_000 + "x'",
        "title: T\nexercises:\n  - name: A\n    reps: 3\n    tempo: '2-" + " " * 200_000 + "x'",
        "title: T\nexercises:\n  - name: A\n    reps: 3\n    " + "k" * 200_000 + ": 1",
    ):
        path.write_text(line + "\n", encoding="utf-8")
        started = time.perf_counter()
        assert load_outcome(path, tmp_path) in ("ScriptError", "LimitError", "ScriptErrors")
        assert time.perf_counter() - started < HANG_GUARD
