# Task runner for anneal (https://github.com/casey/just). The README's two commands work
# without it; these recipes are shortcuts.

# Install the wasm guest toolchain when missing (docs/design.md §9).
setup:
    bash scripts/install-guest-toolchain.sh

# Rebuild every guest component from source.
guests: setup
    cargo run --quiet --locked -p xtask -- guests

# The whole test suite (what CI runs).
suite:
    bash scripts/test.sh

# Plan a task on this repository with the offline engine: just plan "Add a --json flag to strategy list"
plan task:
    cargo run --release --locked -p anneal -- "{{task}}"
