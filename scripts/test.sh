#!/usr/bin/env bash
# Set everything up, lint, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check voicecoach tests scripts
.venv/bin/python -m pytest -q "$@"
