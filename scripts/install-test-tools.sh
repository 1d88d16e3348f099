#!/usr/bin/env bash
# Installs what the test suite needs beyond the guest toolchain, when it is missing:
# bubblewrap, the OS sandbox Hephaestus runs gate commands in (--gate-sandbox, docs/security.md);
# its tests check that a gate command cannot write the home directory or reach the network.
set -euo pipefail

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-tools: nothing to install"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-test-tools: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
echo "install-test-tools: done"
