#!/usr/bin/env bash
# The author's path of docs/writing-a-strategy.md, step by step, as a new author would take it:
# `anneal new strategy`, `./build.sh` (docs/design.md §9's Debian route, componentized by anneal's xtask
# through ANNEAL_SRC), `anneal strategy inspect`, then a run on the fixture repository.
# Fails (non-zero) at the first step that does not do what the guide says. Part of
# scripts/test.sh; needs the guest toolchain (scripts/install-guest-toolchain.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cargo build --quiet --locked -p anneal
anneal=$root/target/debug/anneal
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ANNEAL_CACHE_DIR=off ANNEAL_STRATEGY_DIR=$work/installed
fail() { echo "try-new-strategy: $*" >&2; exit 1; }

cd "$work"
"$anneal" new strategy my-first > new.out || fail "anneal new strategy failed: $(cat new.out)"
[ -x my-first/build.sh ] || fail "no executable my-first/build.sh"
(cd my-first && TOOLCHAIN=debian ANNEAL_SRC=$root ./build.sh) > build.out 2>&1 \
  || { cat build.out >&2; fail "./build.sh failed"; }
[ -s my-first/my-first.wasm ] || fail "./build.sh did not produce my-first.wasm"

"$anneal" strategy inspect ./my-first/my-first.wasm > inspect.out \
  || { cat inspect.out >&2; fail "inspect failed"; }
for want in "my-first" "anneal:strategy@0.2.0" "sha256" "re-entry     stage 3, enrich"; do
  grep -q "$want" inspect.out || { cat inspect.out >&2; fail "inspect does not show $want"; }
done
if grep -q "wasi:" inspect.out; then cat inspect.out >&2; fail "the generated strategy imports WASI"; fi

cp -r "$root/tests/fixtures/service-repo" repo
set +e
"$anneal" --quiet --strategy ./my-first/my-first.wasm --repo repo --out runs \
  "Add rate limiting to the login endpoint" > run.out 2> run.err
code=$?
set -e
# 0: emitted; 4: the run ended without emitting (a legitimate outcome of a plan the gates refused).
case $code in 0|4) ;; *) cat run.out run.err >&2; fail "the run exited $code";; esac
run=$(ls -d runs/*/ | head -1)
[ -f "$run/rollup.yaml" ] || fail "no rollup.yaml in $run"
grep -q "name: my-first" "$run/rollup.yaml" || fail "the rollup does not name my-first"
[ -f "$run/plan/plan.md" ] || fail "no plan/plan.md in $run"
echo "try-new-strategy: new → build → inspect → run (exit $code) as docs/writing-a-strategy.md says"
