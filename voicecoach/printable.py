"""Text from elsewhere (file names, engine messages, programme text) made safe to print.

Anything a terminal could act on or hide -- control characters, bidi overrides,
zero-width characters, unpaired surrogates, line breaks -- is shown as an escape
such as ``\\x1b`` or ``\\u202e``, so one printed line stays one visible line.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """TEXT with every character that is not printable (space aside) escaped."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
