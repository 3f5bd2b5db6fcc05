"""Reading YAML never runs anything, never explodes, and refuses to leave the library."""

from __future__ import annotations

import os
import time

import pytest
from core_helpers import load_error, load_text, parse_located, where, write_yaml

from voicecoach.errors import LimitError, ScriptError
from voicecoach.script import load_programme
from voicecoach.script.yamlsource import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, parse_yaml

VALID_TAIL = "exercises:\n  - name: A\n    reps: 3\n"

HANG_GUARD = 30.0
"""Seconds that only a hang or runaway expansion takes; speed lives in bench.py."""


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/object/apply:builtins.open ['{marker}', 'w']",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!python/object:pathlib.Path {{}}",
        "!!python/tuple [1, 2]",
        "!!binary aGVsbG8=",
        "!!set {{a, b}}",
        "!!omap [a: 1]",
        "!custom thing",
        "!<tag:example.com,2000:app/foo> x",
    ],
)
def test_constructor_tags_are_refused_and_nothing_runs(tmp_path, tagged):
    marker = tmp_path / "was-run"
    text = f"title: T\n{VALID_TAIL}    caution: {tagged.format(marker=marker)}\n"
    err = load_error(tmp_path, text)
    assert where(err) == (5, 14), str(err)
    assert "YAML tag" in str(err) and "is not allowed" in str(err)
    assert not marker.exists()


def test_tags_on_mappings_and_lists_are_refused(tmp_path):
    marker = tmp_path / "was-run"
    text = (
        f"title: T\nexercises:\n  - !!python/object/apply:os.system\n    args: ['touch {marker}']\n"
    )
    err = load_error(tmp_path, text)
    assert where(err) == (3, 5)
    assert "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed" in str(err)
    assert not marker.exists()
    err = load_error(tmp_path, f"title: T\n{VALID_TAIL}    cues: !!python/tuple [a, b]\n")
    assert where(err) == (5, 11)


def test_tagged_keys_are_refused(tmp_path):
    err = load_error(tmp_path, f"!!python/name:os.system title: T\n{VALID_TAIL}")
    assert where(err) == (1, 1)


def test_standard_scalar_tags_are_fine(tmp_path):
    p = load_text(tmp_path, f"title: !!str 2024\n{VALID_TAIL}    sets: !!int 2\n")
    assert p.title == "2024" and p.exercises[0].sets == 2


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly(tmp_path):
    text = "title: T\n" + VALID_TAIL + "    cues: *a9\n"
    path = write_yaml(tmp_path, billion_laughs() + text)
    started = time.perf_counter()
    with pytest.raises(LimitError) as info:
        load_programme(path)
    assert time.perf_counter() - started < HANG_GUARD
    assert f"more than {MAX_NODES} values once aliases are expanded" in str(info.value)
    assert str(info.value).startswith(str(path))


def test_billion_laughs_inside_a_key_value_pair(tmp_path):
    # the bomb in the value of a valid key, in flow style on one line
    text = billion_laughs(7) + "title: T\n" + VALID_TAIL + "    reminders: [*a7, *a7, *a7]\n"
    started = time.perf_counter()
    err = load_error(tmp_path, text, kind=LimitError)
    assert time.perf_counter() - started < HANG_GUARD
    assert "aliases" in str(err)


def test_aliases_within_the_limit_are_fine(tmp_path):
    p = load_text(
        tmp_path,
        "title: T\nexercises:\n  - name: A\n    reps: 2\n    cues: &c [one, two]\n"
        "  - name: B\n    reps: 2\n    cues: *c\n",
    )
    assert p.exercises[1].cues == ("one", "two")


def test_recursive_alias_is_refused(tmp_path):
    err = load_error(tmp_path, f"title: T\n{VALID_TAIL}    cues: &loop [*loop]\n", kind=LimitError)
    assert "nested more than" in str(err)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 200, pytest.param(5000, marks=pytest.mark.e2e)])
def test_deep_nesting_is_refused(tmp_path, depth):
    value = "[" * depth + "x" + "]" * depth
    err = load_error(tmp_path, f"title: T\n{VALID_TAIL}    cues: {value}\n", kind=LimitError)
    assert "nest" in str(err)
    assert str(err).startswith(str(tmp_path / "programme.yaml"))


def test_deep_block_nesting_is_refused(tmp_path):
    lines = [f"{'  ' * i}k{i}:" for i in range(MAX_DEPTH + 3)]
    err = load_error(tmp_path, "\n".join(lines) + " x\n", kind=LimitError)
    assert "nested more than 32 levels deep" in str(err)
    line, _ = where(err)
    assert line > MAX_DEPTH - 1


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("title: T\n" + "#" * MAX_FILE_BYTES + "\n" + VALID_TAIL)
    with pytest.raises(LimitError) as info:
        load_programme(path)
    assert str(info.value).startswith(f"{path}:2: file is ")  # the line the limit is reached on
    assert f"the limit is {MAX_FILE_BYTES} bytes" in str(info.value)


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"title: T\nexercises:\n  - name: Caf\xe9\n    reps: 3\n")
    with pytest.raises(ScriptError) as info:
        load_programme(path)
    assert str(info.value) == f"{path}:3:14: file is not UTF-8 text (save it as UTF-8)"


def test_utf8_with_bom_and_non_ascii_text_are_fine(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufefftitle: Heup, week 1\nexercises: [{name: Brücke, reps: 3}]\n".encode())
    assert load_programme(path).exercises[0].name == "Brücke"


def test_control_characters_are_a_located_one_line_error(tmp_path):
    err = load_error(tmp_path, "title: T\x07\n" + VALID_TAIL)
    assert (
        str(err)
        == f"{tmp_path / 'programme.yaml'}:1:9: character U+0007 (BEL) is not allowed in a "
        "programme file; remove it"
    )


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_file(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    with pytest.raises(ScriptError) as info:
        load_programme(path)
    message = str(info.value)
    if text in ("~\n", "---\n"):
        assert "programme: expected a mapping of keys, got nothing (null)" in message
    else:
        assert message == f"{path}:1:1: the file is empty, expected a YAML mapping"


def test_several_documents(tmp_path):
    err = load_error(tmp_path, f"title: T\n{VALID_TAIL}---\ntitle: U\n{VALID_TAIL}")
    assert where(err) == (6, 1)  # where the second document's content starts
    assert "more than one YAML document (---), expected one" in str(err)


def test_non_string_keys(tmp_path):
    err = load_error(tmp_path, f"title: T\n{VALID_TAIL}    1: x\n")
    assert where(err) == (5, 5)
    assert "keys must be names, got 1" in str(err)
    err = load_error(tmp_path, f"title: T\n{VALID_TAIL}    ? [a, b]\n    : x\n")
    assert "keys must be names, got a list" in str(err)


def test_plain_yaml_oddities_stay_text(tmp_path):
    p = load_text(
        tmp_path,
        "title: 2024-01-01\nexercises:\n  - name: << A\n    reps: 3\n    caution: = 2\n",
    )
    assert p.title == "2024-01-01"
    assert p.exercises[0].name == "<< A" and p.exercises[0].caution == "= 2"


# --- the library cannot be left ---------------------------------------------------------


@pytest.fixture
def library(tmp_path):
    lib = tmp_path / "exercises"
    write_yaml(lib, "name: Fine\nreps: 3\n", "fine.yaml")
    write_yaml(tmp_path, "name: Secret\nreps: 3\n", "secret.yaml")
    return lib


@pytest.mark.parametrize(
    "use",
    [
        "../secret",
        "../secret.yaml",
        "exercises/../../secret",
        "/etc/passwd",
        "'/tmp/x'",
        "~/secret",
        ".hidden",
        "a/b",
        "fine.yaml/..",
        "a\\\\b",
        "'..'",
        "x" * 101,
    ],
)
def test_use_must_be_a_plain_name(tmp_path, library, use):
    err = load_error(tmp_path, f"title: T\nexercises:\n  - use: {use}\n")
    assert where(err) == (3, 10), str(err)
    assert "use: expected the plain name of a library exercise (like 'bird-dog')" in str(err)


def test_symlink_in_the_library_pointing_outside_is_refused(tmp_path, library):
    os.symlink(tmp_path / "secret.yaml", library / "escape.yaml")
    err = load_error(tmp_path, "title: T\nexercises:\n  - use: escape\n")
    assert where(err) == (3, 10)
    assert "use: 'escape' leads outside the library folder" in str(err)
    assert load_text(tmp_path, "title: T\nexercises: [{use: fine}]\n").exercises[0].name == "Fine"


def test_symlink_inside_the_library_is_followed(tmp_path, library):
    os.symlink(library / "fine.yaml", library / "alias.yaml")
    p = load_text(tmp_path, "title: T\nexercises: [{use: alias}]\n")
    assert p.exercises[0].name == "Fine"


def test_library_entry_that_is_a_folder_is_refused(tmp_path, library):
    (library / "odd.yaml").mkdir()
    err = load_error(tmp_path, "title: T\nexercises: [{use: odd}]\n")
    assert "use: 'odd'" in str(err)


def test_library_path_that_cannot_exist(tmp_path):
    err = load_error(tmp_path, 'title: T\nlibrary: "a\\0b"\nexercises: [{name: A, reps: 1}]\n')
    assert where(err) == (2, 10)
    assert "text holds U+0000 (NUL) at character 2" in str(err)
    err = load_error(tmp_path, f"title: T\nlibrary: {'b' * 300}\nexercises: [{{use: a}}]\n")
    assert "does not exist" in parse_located(str(err)).message


def test_parse_yaml_directly_names_the_source():
    node = parse_yaml("a: [1, {b: c}]\n", "mem.yaml")
    assert node.value["a"].value[1].value["b"].value == "c"
    assert str(node.value["a"].value[1].loc) == "mem.yaml:1:8"


def test_special_files_in_the_library_are_refused_without_hanging(tmp_path, library):
    os.symlink("loop.yaml", library / "loop.yaml")  # a symlink to itself
    os.symlink("/dev/zero", library / "zero.yaml")  # endless bytes
    os.mkfifo(library / "fifo.yaml")  # reading would block forever
    started = time.perf_counter()
    for ex_id in ("loop", "zero", "fifo"):
        err = load_error(tmp_path, f"title: T\nexercises:\n  - use: {ex_id}\n")
        assert where(err) == (3, 10)
        assert f"'{ex_id}'" in str(err)
    assert time.perf_counter() - started < HANG_GUARD
