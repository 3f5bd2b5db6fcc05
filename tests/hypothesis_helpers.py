"""How many examples a property test tries: its full count, or a fifth in the inner loop.

Not a conftest: import with `from hypothesis_helpers import examples`. tests/conftest.py
loads the profile: "quick" when the run leaves out e2e (`pytest -m "not e2e"`), "full"
otherwise (scripts/test.sh, CI, a single file); `--hypothesis-profile=full` forces it.
"""

from __future__ import annotations

from hypothesis import settings

FULL_EXAMPLES = 100
"""max_examples of the "full" profile (hypothesis's own default)."""
QUICK_EXAMPLES = 20
"""max_examples of the "quick" profile: property tests try a fifth of their examples."""

settings.register_profile("full", max_examples=FULL_EXAMPLES)
settings.register_profile("quick", max_examples=QUICK_EXAMPLES)


def load_profile(markexpr: str) -> str:
    """Load "quick" if the `-m` expression MARKEXPR leaves out e2e, else "full"; its name."""
    name = "quick" if "not e2e" in " ".join(markexpr.split()) else "full"
    settings.load_profile(name)
    return name


def examples(count: int) -> int:
    """COUNT examples at full strength, scaled down with the loaded profile (at least 5)."""
    return max(5, round(count * settings.default.max_examples / FULL_EXAMPLES))
