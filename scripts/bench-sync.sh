#!/usr/bin/env bash
# Times `mednum-kit sync upstream --once` fetching a ~200 MB pack from a local upstream (nginx
# serving a folder after `catalog build`): download, size and sha256 check, signature and
# every file's check, install. Beside it, the baseline the issue names: `curl` of the same
# file from the same nginx plus `sha256sum` of it. Alternating rounds, median.
#
#   bash scripts/bench-sync.sh              # RUNS=3 BIG_MB=100,100 by default
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

RUNS="${RUNS:-3}"
BIG_MB="${BIG_MB:-100,100}"

need curl curl
need nginx nginx
WORK="$(mktemp -d "${BENCH_DIR:-/tmp}/kit-sync.XXXXXX")"
NGINX_PID=""
trap 'cleanup_pids; [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
build_kit
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "generating the pack…" >&2
python3 "$ROOT/scripts/gen-pack.py" "$WORK/src" --tutorials 200 --themes 4 --image-kb 16 --big-mb "$BIG_MB"
"$KIT" key generate --out "$WORK/k.key" >/dev/null 2>&1
mkdir -p "$WORK/depot"
"$KIT" pack build "$WORK/src" --out "$WORK/depot/big-1.0.0.kitpack" --key "$WORK/k.key" >/dev/null
rm -rf "$WORK/src"
"$KIT" catalog build "$WORK/depot" >/dev/null
PACK_MB="$(du -m "$WORK/depot/big-1.0.0.kitpack" | cut -f1)"

NGINX_PORT="$(free_port)"
NGINX_USER=""
if [ "$(id -u)" = 0 ]; then NGINX_USER="user root;"; fi
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<CONF
$NGINX_USER
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { root $WORK/depot; }
  }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
sleep 0.5
URL="http://127.0.0.1:$NGINX_PORT"

seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }'; }

run_baseline() {
  rm -f "$WORK/dl.kitpack"
  sync
  local start
  start=$(date +%s.%N)
  curl -sf -o "$WORK/dl.kitpack" "$URL/big-1.0.0.kitpack"
  sha256sum "$WORK/dl.kitpack" >/dev/null
  seconds_since "$start"
}

run_kit() {
  rm -rf "$WORK/data"
  "$KIT" --data-dir "$WORK/data" trust add "$WORK/k.key.pub" >/dev/null 2>&1
  sync
  local start
  start=$(date +%s.%N)
  "$KIT" --data-dir "$WORK/data" sync upstream --url "$URL/catalog.json" --once >"$WORK/sync.log" 2>&1 \
    || { cat "$WORK/sync.log" >&2; exit 1; }
  seconds_since "$start"
}

alternate_rounds "$RUNS"
KIT_S="$(median <"$WORK/kit")" BASE_S="$(median <"$WORK/base")"
RATIO="$(awk -v a="$KIT_S" -v b="$BASE_S" 'BEGIN { printf "%.2f", a / b }')"

cat <<EOF2

### bench-sync.sh — $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(machine_line) (load before: $LOAD_BEFORE). Disk: $(df -h "$WORK" | awk 'NR == 2 { print $1 ", " $2 }').
Pack: $PACK_MB MB (large images of $BIG_MB MB), served by nginx on loopback, median of $RUNS
alternating rounds.

| measure | kit: \`sync upstream --once\` (download, sha256, signature, every file's check, install) | baseline: \`curl\` + \`sha256sum\` |
| --- | --- | --- |
| wall time (s) | $KIT_S | $BASE_S |

Target: within 1.3× of the baseline: ${RATIO}×, $(verdict "$(le "$RATIO" 1.3)").
Runs: kit $(runs kit); baseline $(runs base). Load after: $(cut -d' ' -f1-3 /proc/loadavg).
EOF2
