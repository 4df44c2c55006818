#!/usr/bin/env bash
# Runs each fuzz target (fuzz/) for SECONDS (default 60) on the stable toolchain; fails on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
cargo_fuzz_version=0.13.2
targets=(pack_open content_load url_parse captive_host http_head)

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $cargo_fuzz_version" ]; then
  cargo install --locked --version "$cargo_fuzz_version" cargo-fuzz
fi

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address…); this lets stable rustc take them.
export RUSTC_BOOTSTRAP=1

# New corpus entries and the targets' scratch files go to a throwaway folder (tmpfs if any),
# so the committed corpus in fuzz/corpus/ stays as it is.
scratch="$(mktemp -d /dev/shm/mednum-fuzz.XXXXXX 2>/dev/null || mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cargo fuzz build
failed=()
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${seconds}s"
  mkdir -p "$scratch/corpus/$target" "$scratch/tmp"
  if ! TMPDIR="$scratch/tmp" cargo fuzz run "$target" "$scratch/corpus/$target" \
    "fuzz/corpus/$target" -- -dict="fuzz/dict/$target.dict" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -verbosity=0 -print_final_stats=1; then
    echo "fuzz target $target failed; reproducer(s):" >&2
    for crash in fuzz/artifacts/"$target"/*; do
      [ -f "$crash" ] || continue
      echo "  $crash (replay: RUSTC_BOOTSTRAP=1 cargo fuzz run $target $crash)" >&2
      echo "  base64: $(head -c 65536 "$crash" | base64 -w0)" >&2
    done
    failed+=("$target")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]} (see docs/fuzzing.md)" >&2
  exit 1
fi
