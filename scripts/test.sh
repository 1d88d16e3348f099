#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the guest toolchain when missing, rebuilds
# every wasm guest from source (the bundled ones in host/bundled/, the test-only ones in
# target/test-guests/, including the Python example strategy built with componentize-py), then
# runs every test of the workspace against those fresh builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-guest-toolchain.sh
cargo run --quiet --locked -p xtask -- guests
bash scripts/build-python-strategy.sh
cargo test --workspace --locked "$@"
