#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the guest toolchain when missing, rebuilds
# every wasm guest from source (the bundled ones in host/bundled/, the test-only ones in
# target/test-guests/, including the Python example strategy built with componentize-py and the
# JavaScript one built with ComponentizeJS), then
# runs every test of the workspace against those fresh builds. Each step prints how long it took
# (BENCHMARKS.md, "CI suite").
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-shot suite gains nothing from incremental compilation and its caches take gigabytes.
# Override to keep them.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
start=$SECONDS
# Every step's time, repeated at the end (also when a step fails), so the tail of a CI log alone
# gives the whole breakdown.
timings=()
step() {
  local name=$1 t0=$SECONDS
  shift
  local rc=0
  "$@" || rc=$?
  local line="$name: $((SECONDS - t0)) s"
  [ "$rc" -eq 0 ] || line="$line (FAILED, exit $rc)"
  timings+=("$line")
  echo "test.sh: $line" >&2
  return "$rc"
}
summary() {
  local rc=$?
  for t in "${timings[@]}"; do echo "test.sh: $t" >&2; done
  echo "test.sh: total $((SECONDS - start)) s, exit $rc" >&2
}
trap summary EXIT
# rustfmt and clippy: rustup's default profile has them; a minimal toolchain gets them added.
lint_tools() {
  for c in rustfmt clippy; do
    cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$c" || {
      echo "test.sh: $c is not installed and could not be added (rustup component add $c)" >&2
      exit 1
    }
  done
}
step "lint tools" lint_tools
# Formatting first: the cheapest check, and the one that fails fastest.
step "cargo fmt --check" cargo fmt --all --check
step "guest toolchain" bash scripts/install-guest-toolchain.sh
step "test tools (chromium)" bash scripts/install-test-tools.sh
step "wasm guests (xtask)" cargo run --quiet --locked -p xtask -- guests
step "guest tests" cargo test --quiet --locked --manifest-path guests/Cargo.toml --workspace
step "python strategy" bash scripts/build-python-strategy.sh
step "js strategy" bash scripts/build-js-strategy.sh
# A new author's path through docs/writing-a-strategy.md: new → build.sh → inspect → run.
step "try-new-strategy" bash scripts/try-new-strategy.sh
step "cargo test" cargo test --workspace --locked "$@"
# Lints last, so test results come first; warnings are errors (the guests' own workspace is
# built for wasm32 with rustc-web and is not linted here). `--all-targets` also type-checks the
# benchmarks, which are not run here but must keep compiling.
step "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
echo "test.sh: all green" >&2
