#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the guest toolchain when missing, rebuilds
# every wasm guest from source (the bundled ones in host/bundled/, the test-only ones in
# target/test-guests/, including the Python example strategy built with componentize-py), then
# runs every test of the workspace against those fresh builds.
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-shot suite gains nothing from incremental compilation and its caches take gigabytes
# (twice: the self-run below has a target directory of its own). Override to keep them.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
bash scripts/install-guest-toolchain.sh
bash scripts/install-test-tools.sh
cargo run --quiet --locked -p xtask -- guests
bash scripts/build-python-strategy.sh
# A new author's path through docs/writing-a-strategy.md: new → build.sh → inspect → run.
bash scripts/try-new-strategy.sh
# The self-run test (host/tests/e2e/cast_pipeline.rs) has Hephaestus build and test this workspace in a
# scratch copy with this target directory; compiling the dependencies here first keeps that
# cold compile out of the test's time limit (the copy then only rebuilds the workspace crates).
CARGO_TARGET_DIR=target/anneal-selfcheck cargo test --workspace --locked --no-run --quiet
cargo test --workspace --locked "$@"
# Benchmarks are not run here, but they must keep compiling (test profile: reuses the builds above).
cargo test --workspace --locked --benches --no-run --quiet
