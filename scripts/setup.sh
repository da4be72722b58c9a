#!/usr/bin/env bash
# Set up dcsll on a fresh Debian machine: system packages the tests and statements need, then a virtualenv
# in .venv with the project and its test extra. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES=(fonts-wqy-microhei poppler-utils chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
