"""`library build` through the CLI for the sound tests (see test_library_helpers)."""

from test_library_helpers import build as library_build

__all__ = ["library_build"]
