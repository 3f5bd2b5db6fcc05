#!/usr/bin/env bash
# Set everything up, then build the bundled demo programme into output/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/voicecoach build "$@"
