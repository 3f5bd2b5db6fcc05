"""One clock for every time shown to people (CLI, live status, pages, library)."""

from __future__ import annotations

import pytest

from voicecoach.timeline.clock import clock


@pytest.mark.parametrize(
    ("seconds", "whole", "tenths"),
    [
        (0.0, "0:00", "0:00.0"),
        (13.73, "0:13", "0:13.7"),
        (59.96, "0:59", "1:00.0"),
        (3599.99, "59:59", "1:00:00.0"),
        (3723.4, "1:02:03", "1:02:03.4"),
        (-2.0, "0:00", "0:00.0"),
    ],
)
def test_clock(seconds, whole, tenths):
    assert clock(seconds) == whole
    assert clock(seconds, tenths=True) == tenths
