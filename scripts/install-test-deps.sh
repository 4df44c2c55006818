#!/usr/bin/env bash
# Installs, in one apt-get, the Debian packages the tests use besides Rust: dnsmasq-base,
# nftables, iproute2 and curl for the box-network test in namespaces (tests/box_network.rs);
# Chromium for the browser tests (tests/e2e/); zbar-tools (zbarimg) and zxing-cpp-tools
# (ZXingReader), the two QR readers that decode our codes back (tests/qr_decode.rs); nginx, the
# real WebDAV server reports are sent to (tests/sync.rs); the
# aarch64 cross compiler and qemu-user for the Raspberry Pi build and its smoke test. Each of
# those scripts also installs what it lacks by itself; this only saves repeated
# `apt-get update`s. The QR test skips a missing reader, but fails under CI's
# MEDNUM_REQUIRE_ROOT_TESTS=1.
#
# dnsmasq-base, not dnsmasq: the binary without a service that would start on this machine
# and take its port 53. systemd-analyze (tests/system_files.rs) is used where it is present.
set -euo pipefail

packages=(dnsmasq-base nftables iproute2 curl nginx chromium zbar-tools zxing-cpp-tools
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu qemu-user)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-test-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
