#!/usr/bin/env bash
# Runs every test of the kit on a fresh Debian machine, installing what they need: Rust unit
# and integration tests (the real binary over HTTP, SQLite files, signed packs, network
# namespaces), the browser tests in Chromium, the Raspberry Pi binary under qemu-user, and a
# short run of every fuzz target.
#
#   bash scripts/test.sh                       # everything (CI runs exactly this)
#   MEDNUM_FUZZ_SECONDS=300 bash scripts/test.sh   # longer fuzz runs
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust (rustup) first" >&2
  exit 1
fi

step() { echo "== $* ($(date +%T))" >&2; }

step "installing the test tools (Debian packages)"
bash scripts/install-test-deps.sh

step "Rust tests"
# As root (CI), the tests that need root (network namespaces, a small tmpfs) must run: a
# refusal fails them instead of skipping them.
if [ "$(id -u)" -eq 0 ]; then export MEDNUM_REQUIRE_ROOT_TESTS=1; fi
cargo test --locked --all-targets
# Our patched tiny_http (vendor/tiny_http, docs/tiny-http-patches.md) and its own tests.
cargo test --locked -p tiny_http

step "browser tests"
bash tests/e2e/run.sh

step "the Raspberry Pi binary (aarch64) under qemu-user"
bash scripts/cross-build.sh aarch64
bash scripts/smoke-aarch64.sh

if [ -f scripts/fuzz.sh ]; then
  step "fuzzing, ${MEDNUM_FUZZ_SECONDS:-60} s a target"
  bash scripts/fuzz.sh "${MEDNUM_FUZZ_SECONDS:-60}"
fi
step "all tests passed"
