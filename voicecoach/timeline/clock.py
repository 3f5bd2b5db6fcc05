"""The one way voicecoach writes a time for people: M:SS, or H:MM:SS from an hour."""

from __future__ import annotations


def clock(seconds: float, tenths: bool = False) -> str:
    """'4:05', '1:02:03' (whole seconds, rounded down); with TENTHS '4:05.3' (rounded)."""
    if tenths:
        whole_text, tenth = f"{max(0.0, seconds):.1f}".split(".")
        whole = int(whole_text)
    else:
        whole, tenth = max(0, int(seconds)), None
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return text if tenth is None else f"{text}.{tenth}"
