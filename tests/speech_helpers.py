"""The fake engine behind a worker process, as the real engines run (for timeout tests)."""

from __future__ import annotations

from typing import Any

from voicecoach.speech.engine_process import IsolatedEngine
from voicecoach.speech.fake import FakeEngine


def isolated_fake(timeout: float, **options: Any) -> IsolatedEngine:
    """A FakeEngine(**options) in a worker process with TIMEOUT seconds per request."""
    profile = FakeEngine(**options)  # rejects bad options here, not in the worker
    factory = "voicecoach.speech.fake:FakeEngine"
    return IsolatedEngine(factory, options, name="fake", timeout=timeout, profile=profile)
