#!/usr/bin/env bash
# Builds the kit's Debian packages in target/debian/: amd64 (a computer serving the portal)
# and arm64 (the box; cross-built). Installs cargo-deb if missing.
#
#   bash scripts/package-deb.sh            # both
#   bash scripts/package-deb.sh arm64      # one of them
set -euo pipefail
cd "$(dirname "$0")/.."

arches=("$@")
[ ${#arches[@]} -eq 0 ] && arches=(amd64 arm64)

if ! command -v cargo-deb >/dev/null; then
  cargo install --locked cargo-deb
fi

for arch in "${arches[@]}"; do
  case "$arch" in
    amd64)
      [ "$(uname -m)" = x86_64 ] || { echo "package-deb: amd64 is built on an x86_64 machine" >&2; exit 2; }
      cargo deb --locked
      ;;
    arm64)
      bash scripts/cross-build.sh aarch64
      # aarch64-linux-gnu-strip comes with the cross binutils cross-build.sh installs.
      cargo deb --locked --no-build --target aarch64-unknown-linux-gnu --variant box
      ;;
    *)
      echo "package-deb: unknown architecture \`$arch\` (amd64 or arm64)" >&2
      exit 2
      ;;
  esac
done
for deb in "${CARGO_TARGET_DIR:-target}"/debian/*.deb; do
  echo "package-deb: $deb"
  dpkg-deb --field "$deb" Package Architecture Version Depends Recommends Suggests
done
