#!/usr/bin/env bash
# Builds the JavaScript example strategy (examples/js-strategy) into
# target/test-guests/js-strategy.wasm with ComponentizeJS (@bytecodealliance/componentize-js)
# from the npm registry, installed with `npm ci` from the committed package-lock.json into
# target/js-node (node_modules never lands in examples/). Needs node >= 20 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

SRC=examples/js-strategy
NODE_DIR=target/js-node
OUT=target/test-guests/js-strategy.wasm

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build-js-strategy: $tool is not installed; install Node.js 20 or later (with npm)" >&2
    exit 1
  fi
done
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "build-js-strategy: node $(node --version) is too old; ComponentizeJS needs Node.js 20 or later" >&2
  exit 1
fi

# Install only when the lock file changed (or nothing is installed yet). --ignore-scripts: no
# package of the lock has an install script, and none may run one.
if [ ! -x "$NODE_DIR/node_modules/.bin/componentize-js" ] || \
   ! cmp -s "$SRC/package-lock.json" "$NODE_DIR/package-lock.json"; then
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  cp "$SRC/package.json" "$SRC/package-lock.json" "$NODE_DIR/"
  (cd "$NODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

# Built against the newest WIT; `--disable http fetch-event` leaves wasi:http out (anneal
# refuses it), so the component imports only anneal's interfaces and the WASI 0.2 ones the host
# serves with nothing granted.
mkdir -p "$(dirname "$OUT")"
"$NODE_DIR/node_modules/.bin/componentize-js" "$SRC/strategy.js" \
  --wit wit/since_v0.2.0 --world-name strategy --disable http fetch-event -o "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "build-js-strategy: built $OUT"
