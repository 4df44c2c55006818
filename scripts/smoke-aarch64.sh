#!/usr/bin/env bash
# Smoke test of the Raspberry Pi binary under qemu-user: `serve` starts on loopback, answers
# the home page, a search and a phone's captive-portal probe, and stops cleanly on SIGTERM.
#
#   bash scripts/cross-build.sh aarch64 && bash scripts/smoke-aarch64.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."

triple=aarch64-unknown-linux-gnu
bin="${1:-${CARGO_TARGET_DIR:-target}/$triple/${PROFILE:-release}/mednum-kit}"
if [ ! -x "$bin" ]; then
  echo "smoke: \`$bin\` is missing: run scripts/cross-build.sh aarch64 first" >&2
  exit 1
fi
if ! command -v qemu-aarch64 >/dev/null; then
  echo "smoke: qemu-aarch64 is missing (apt-get install qemu-user)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

start=$SECONDS
# --no-mdns: qemu-user does not emulate mDNS's multicast socket options (tests/mdns.rs runs
# natively, in namespaces).
qemu-aarch64 -L /usr/aarch64-linux-gnu "$bin" --data-dir "$tmp/data" \
  serve --listen 127.0.0.1:0 --no-mdns 2>"$tmp/log" &
pid=$!

addr=""
for _ in $(seq 1 600); do
  addr="$(sed -n 's/.*listening on http:\/\///p' "$tmp/log" | head -n1)"
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$addr" ]; then
  echo "smoke: the kit did not start under qemu-aarch64:" >&2
  cat "$tmp/log" >&2
  exit 1
fi
echo "smoke: listening on $addr after $((SECONDS - start)) s"

expect() { # PATH TEXT: a 200 whose body contains TEXT
  local body
  body="$(curl -fsS --max-time 30 "http://$addr$1")" || { echo "smoke: GET $1 failed" >&2; exit 1; }
  if ! grep -qF -- "$2" <<<"$body"; then
    echo "smoke: GET $1 lacks \`$2\`" >&2
    exit 1
  fi
  echo "smoke: GET $1 -> 200, has \`$2\`"
}
expect / "Choisissez un thème"
expect "/recherche?q=mot+de+passe" "/tutoriels/mot-de-passe-solide"
expect "/recherche?q=mot+de+passe" "<mark>"
# A phone's connectivity probe is sent to the portal's welcome page.
probe="$(curl -sS --max-time 30 -o /dev/null -w '%{http_code} %{redirect_url}' \
  -H 'Host: connectivitycheck.gstatic.com' "http://$addr/generate_204")"
if [[ "$probe" != "302 http://$addr/bienvenue" ]]; then
  echo "smoke: the Android probe answered \`$probe\`" >&2
  exit 1
fi
echo "smoke: GET /generate_204 (Android probe) -> $probe"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
if [ "$status" -ne 0 ]; then
  echo "smoke: the kit exited with $status after SIGTERM:" >&2
  cat "$tmp/log" >&2
  exit 1
fi
echo "smoke: aarch64 binary OK in $((SECONDS - start)) s"
