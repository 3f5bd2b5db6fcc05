"""`image:` on an exercise: a picture of the position, checked when the programme loads."""

from __future__ import annotations

from pathlib import Path

from voicecoach.errors import ScriptError
from voicecoach.script.values import parse_text
from voicecoach.script.yamlsource import YNode

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Largest image copied beside a player page."""

_SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".svg": (),
}
"""Image types a browser shows, with how their files start."""


def parse_image(node: YNode) -> Path:
    """The image file NODE names, relative to the YAML file it is written in (resolved).

    It must be an existing, readable PNG, JPEG, GIF, WebP or SVG file no larger than
    MAX_IMAGE_BYTES whose contents match its name's ending.
    """
    text = parse_text(node, "image")
    suffix = Path(text).suffix.lower()
    if suffix not in _SIGNATURES:
        expected = "a PNG, JPEG, GIF, WebP or SVG file"
        raise ScriptError(f"image: expected {expected}, got {node.describe()}", node.loc)
    base = Path(node.loc.file).parent
    path = base / text
    try:
        real = path.resolve(strict=True)
        if not real.is_file():
            raise ScriptError(f"image: {text} is not a file", node.loc)
        size = real.stat().st_size
        with open(real, "rb") as handle:
            head = handle.read(512)
    except (OSError, RuntimeError):
        raise ScriptError(f"image: cannot read {path}", node.loc) from None
    if size > MAX_IMAGE_BYTES:
        limit = MAX_IMAGE_BYTES // (1024 * 1024)
        raise ScriptError(f"image: {text} is over the limit of {limit} MB", node.loc)
    signatures = _SIGNATURES[suffix]
    matches = head.startswith(signatures) if signatures else b"<svg" in head or b"<?xml" in head
    if suffix == ".webp":
        matches = matches and head[8:12] == b"WEBP"
    if not matches:
        what = suffix.lstrip(".").upper()
        raise ScriptError(f"image: {text} is not a {what} image", node.loc)
    return real
