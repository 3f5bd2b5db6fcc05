#!/usr/bin/env bash
# Set everything up, lint, then run the whole test suite on every core (pytest-xdist;
# --dist loadfile keeps each module on one worker, so module fixtures build once).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check voicecoach tests scripts
.venv/bin/python -m pytest -q -n auto --dist loadfile "$@"
