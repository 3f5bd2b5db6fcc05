"""The tones a timeline can schedule, and their fixed lengths."""

from __future__ import annotations

from types import MappingProxyType

TONE_LENGTHS = MappingProxyType(
    {
        "count": 0.12,  # count-in tick, one per second before "go"
        "go": 0.30,  # start of a set, hold or timed work
        "up": 0.12,  # start of the lifting (concentric) phase of a rep
        "hold": 0.12,  # start of a hold at the top
        "down": 0.12,  # start of the lowering (eccentric) phase
        "end": 0.45,  # end of a set or of a timed hold
        "side": 0.60,  # side switch chime
    }
)
"""Seconds each tone lasts; the asset generator and the mixer honour these exactly."""
