#!/usr/bin/env bash
# Set up everything voicecoach needs on a Debian machine: system packages and .venv.
# Safe to run again: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium (and npm, unless node already brings it): the player pages' browser tests.
APT_PACKAGES=(espeak-ng libespeak-ng1 ffmpeg libportaudio2 pulseaudio libasound2-plugins chromium)
command -v npm >/dev/null || APT_PACKAGES+=(npm)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "setup: installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
fi

# Reinstall the project only when its metadata changed since the last install.
stamp=.venv/.voicecoach-installed
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing voicecoach into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[dev,neural]"
    echo "$want" >"$stamp"
fi

# axe-core (accessibility checks in the browser tests), from npm, once.
AXE_CORE_VERSION=4.11.0
if [ ! -f .cache/npm/node_modules/axe-core/axe.min.js ]; then
    echo "setup: installing axe-core into .cache/npm"
    mkdir -p .cache/npm
    npm install --silent --no-audit --no-fund --prefix .cache/npm "axe-core@$AXE_CORE_VERSION" >/dev/null
fi
