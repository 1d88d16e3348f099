#!/usr/bin/env bash
# Installs the programs the test suite drives, when missing, from Debian's packages. One package
# per line in PACKAGES below (command:package); add a line to add a tool.
#   chromium  renders `anneal report`'s report.html headless and screenshots it (host/tests/e2e/history.rs)
set -euo pipefail

PACKAGES="
chromium:chromium
"

need=()
for entry in $PACKAGES; do
  command -v "${entry%%:*}" >/dev/null 2>&1 || need+=("${entry#*:}")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-tools: nothing to install"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-test-tools: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}"
