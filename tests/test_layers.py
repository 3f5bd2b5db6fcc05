"""Imports run one way: script → timeline → speech/audio → pipeline → live/library → cli.

Read with `ast` from the source, so an import inside a function counts as much as one
at the top. docs/DESIGN.md lists the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import voicecoach

PACKAGE = Path(voicecoach.__file__).parent

LAYERS: tuple[tuple[str, ...], ...] = (
    ("voicecoach", "voicecoach.errors", "voicecoach.printable"),
    ("voicecoach.phrases",),
    ("voicecoach.script",),
    ("voicecoach.timeline",),
    ("voicecoach.wavio", "voicecoach.atomic", "voicecoach.parent_watch"),
    ("voicecoach.speech", "voicecoach.audio", "voicecoach.page"),
    ("voicecoach.pipeline",),
    ("voicecoach.live", "voicecoach.library"),
    ("voicecoach.cli", "voicecoach.cli_options", "voicecoach.cli_library", "voicecoach.cli_cache"),
)
"""Lowest first: a module may import from its own layer or the ones above it here."""


def module_name(path: Path) -> str:
    """voicecoach/speech/base.py -> voicecoach.speech.base (a package is its __init__)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The index in LAYERS of the longest prefix naming MODULE's group."""
    best, depth = None, -1
    for index, group in enumerate(LAYERS):
        for prefix in group:
            if (module == prefix or module.startswith(prefix + ".")) and prefix.count(".") > depth:
                best, depth = index, prefix.count(".")
    assert best is not None, f"{module} is in no layer; add it to LAYERS (and docs/DESIGN.md)"
    return best


def is_module(name: str) -> bool:
    """Whether NAME is a module or package of voicecoach."""
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative).is_dir()


def imported_modules(path: Path) -> set[str]:
    """Every voicecoach module PATH imports (`from voicecoach import x` names x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(
                f"{node.module}.{a.name}"
                for a in node.names
                if is_module(f"{node.module}.{a.name}") and node.module.startswith("voicecoach")
            )
    return {m for m in found if m == "voicecoach" or m.startswith("voicecoach.")}


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer():
    assert len(SOURCES) > 40
    for path in SOURCES:
        layer_of(module_name(path))


@pytest.mark.parametrize("path", SOURCES, ids=[module_name(p) for p in SOURCES])
def test_no_module_imports_from_a_later_layer(path):
    own = layer_of(module_name(path))
    later = sorted(m for m in imported_modules(path) if layer_of(m) > own)
    assert not later, f"{module_name(path)} (layer {own}) imports from later layers: {later}"


def test_the_phrase_packs_import_nothing_of_voicecoach_but_themselves():
    for path in (PACKAGE / "phrases").glob("*.py"):
        others = {m for m in imported_modules(path) if not m.startswith("voicecoach.phrases")}
        assert not others, f"{path.name} imports {sorted(others)}"


def test_the_checker_sees_a_violation(tmp_path):
    """The checker itself: a late import inside a function is found."""
    source = tmp_path / "sample.py"
    source.write_text(
        "from voicecoach.errors import ScriptError\n"
        "def f():\n"
        "    from voicecoach import pipeline\n"
        "    import voicecoach.live.player\n"
    )
    found = imported_modules(source)
    assert {"voicecoach.pipeline", "voicecoach.live.player", "voicecoach.errors"} <= found
    assert layer_of("voicecoach.pipeline") > layer_of("voicecoach.timeline.compiler")
    assert layer_of("voicecoach.live.player") > layer_of("voicecoach.pipeline")
