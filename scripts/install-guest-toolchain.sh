#!/usr/bin/env bash
# Installs what building the wasm guests needs, when it is missing (docs/design.md §9):
# rustup's wasm32-unknown-unknown target if present is enough; otherwise Debian's rustc-web
# (rustc 1.96 with the standard-library source, used with -Zbuild-std) and lld.
# Also makes sure `make` and `python3` exist (the fixture repository's gates use them).
set -euo pipefail

have_wasm_target() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'
}
have_rustc_web() {
  [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] && \
    [ -d "$(/usr/bin/rustc --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library/std" ]
}

need=()
if ! have_wasm_target && ! have_rustc_web; then
  need+=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
fi
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-guest-toolchain: nothing to install"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-guest-toolchain: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
have_wasm_target || have_rustc_web || { echo "install-guest-toolchain: rustc-web was installed but has no standard-library source" >&2; exit 1; }
echo "install-guest-toolchain: done"
