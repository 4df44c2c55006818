#!/usr/bin/env bash
# Builds release binaries for the Raspberry Pi: aarch64 (64-bit OS) and armv7 (32-bit OS).
#
#   bash scripts/cross-build.sh              # both targets
#   bash scripts/cross-build.sh aarch64      # one of them
#   PROFILE=dist bash scripts/cross-build.sh # LTO build for an image (slower)
#
# Installs what it needs (Debian cross gcc, qemu-user, rustup targets), then checks that no
# binary asks for a glibc newer than 2.34 (Raspberry Pi OS Bookworm has 2.36).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE="${PROFILE:-release}"
MAX_GLIBC="2.34"
declare -A TRIPLE=([aarch64]=aarch64-unknown-linux-gnu [armv7]=armv7-unknown-linux-gnueabihf)
declare -A GNU=([aarch64]=aarch64-linux-gnu [armv7]=arm-linux-gnueabihf)
declare -A DEBARCH=([aarch64]=arm64 [armv7]=armhf)

arches=("$@")
[ ${#arches[@]} -eq 0 ] && arches=(aarch64 armv7)
for arch in "${arches[@]}"; do
  [ -n "${TRIPLE[$arch]:-}" ] || { echo "unknown target \`$arch\` (aarch64 or armv7)" >&2; exit 2; }
done

need=()
for arch in "${arches[@]}"; do
  gnu="${GNU[$arch]}"
  command -v "$gnu-gcc" >/dev/null || need+=("gcc-$gnu" "libc6-dev-${DEBARCH[$arch]}-cross")
  command -v "$gnu-objdump" >/dev/null || need+=("binutils-$gnu")
done
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "cross-build: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

installed="$(rustup target list --installed)"
for arch in "${arches[@]}"; do
  grep -qx "${TRIPLE[$arch]}" <<<"$installed" || rustup target add "${TRIPLE[$arch]}"
done

target_dir="${CARGO_TARGET_DIR:-target}"
for arch in "${arches[@]}"; do
  triple="${TRIPLE[$arch]}"
  start=$SECONDS
  cargo build --locked --profile "$PROFILE" --target "$triple"
  bin="$target_dir/$triple/$PROFILE/mednum-kit"
  # The newest GLIBC_x.y symbol version the binary needs decides the oldest OS it runs on.
  newest="$("${GNU[$arch]}-objdump" -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' \
    | sort -V | tail -n1)"
  if [ "$(printf '%s\n%s\n' "$newest" "$MAX_GLIBC" | sort -V | tail -n1)" != "$MAX_GLIBC" ]; then
    echo "cross-build: \`$bin\` needs glibc $newest, more than $MAX_GLIBC" >&2
    exit 1
  fi
  echo "cross-build: $bin ($(du -h "$bin" | cut -f1), glibc >= $newest) in $((SECONDS - start)) s"
done
