#!/usr/bin/env bash
# Runs the browser end-to-end tests (Chromium + axe-core) against a freshly built mednum-kit.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/../.." && pwd)"

# Debian's Chromium: no browser download works here, the package does.
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "e2e: installing chromium with apt-get" >&2
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
CHROMIUM="${MEDNUM_E2E_CHROMIUM:-/usr/bin/chromium}"
# zbarimg reads the projector page's QR codes back from a screenshot.
if ! command -v zbarimg >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "e2e: installing zbar-tools with apt-get" >&2
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends zbar-tools
fi

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "e2e: $tool is missing (apt-get install nodejs npm)" >&2
    exit 1
  fi
done

# node_modules matches package-lock.json, or is installed again from it.
LOCK_STAMP="$E2E_DIR/node_modules/.mednum-e2e-lock.sha256"
lock_hash() { (cd "$E2E_DIR" && cat package.json package-lock.json | sha256sum | cut -d' ' -f1); }
if [ ! -d "$E2E_DIR/node_modules" ] || [ ! -f "$LOCK_STAMP" ] || [ "$(cat "$LOCK_STAMP")" != "$(lock_hash)" ]; then
  echo "e2e: npm ci" >&2
  (cd "$E2E_DIR" && npm ci --no-audit --no-fund)
  lock_hash >"$LOCK_STAMP"
fi

# The binary under test: $MEDNUM_KIT_BIN, else a debug build of the working tree.
if [ -z "${MEDNUM_KIT_BIN:-}" ]; then
  (cd "$ROOT" && cargo build)
  MEDNUM_KIT_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/mednum-kit"
fi
export MEDNUM_KIT_BIN MEDNUM_E2E_CHROMIUM="$CHROMIUM"

cd "$ROOT"
node --test --test-reporter=spec tests/e2e/portal.test.mjs tests/e2e/media.test.mjs tests/e2e/takehome.test.mjs \
  tests/e2e/reflow.test.mjs
