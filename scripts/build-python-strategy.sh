#!/usr/bin/env bash
# Builds the Python example strategy (examples/python-strategy) into
# target/test-guests/python-strategy.wasm with componentize-py from PyPI, in a venv under
# target/py-venv. Installs python3-venv with apt-get when venv is missing (as root, or via sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

# The pinned componentize-py: 0.25.1 emits WASI 0.2 (p2) components that wasmtime 48 runs.
COMPONENTIZE_PY_VERSION=0.25.1
VENV=target/py-venv
OUT=target/test-guests/python-strategy.wasm

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "build-python-strategy: installing python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq python3-venv python3-pip >/dev/null
fi

if [ ! -x "$VENV/bin/componentize-py" ] || \
   [ "$("$VENV/bin/componentize-py" --version 2>/dev/null)" != "componentize-py $COMPONENTIZE_PY_VERSION" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
fi

mkdir -p "$(dirname "$OUT")"
"$VENV/bin/componentize-py" -d wit/since_v0.1.0 -w strategy \
  componentize -p examples/python-strategy app -o "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "build-python-strategy: built $OUT"
