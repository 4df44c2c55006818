#!/usr/bin/env bash
# Runs every test of the kit: Rust unit and integration tests (real binary, real HTTP), then
# the browser tests, installing what they need on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust (rustup) first" >&2
  exit 1
fi

cargo test --locked --all-targets

if [ -f tests/e2e/run.sh ]; then
  bash tests/e2e/run.sh
fi
