#!/usr/bin/env bash
# Times the upload + install of a ~500 MB pack through the admin page (`POST
# /admin/paquets/envoyer`, as the page's form sends it, until the install job is done),
# beside `curl` uploading the same file to nginx (WebDAV PUT to disk) plus `pack import` of
# it; alternating rounds, median. Samples the kit's memory during the upload and install.
#
#   bash scripts/bench-upload.sh            # RUNS=3 BIG_MB=100,100,100,100,90 by default
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

RUNS="${RUNS:-3}"
BIG_MB="${BIG_MB:-100,100,100,100,90}"
PASSWORD="le chat dort au soleil"

need curl curl
need nginx nginx
need /usr/bin/time time
WORK="$(mktemp -d "${BENCH_DIR:-/tmp}/kit-upload.XXXXXX")"
NGINX_PID=""
trap 'cleanup_pids; [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
build_kit
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "generating the pack…" >&2
python3 "$ROOT/scripts/gen-pack.py" "$WORK/src" --tutorials 200 --themes 4 --image-kb 16 --big-mb "$BIG_MB"
"$KIT" key generate --out "$WORK/k.key" >/dev/null 2>&1
"$KIT" pack build "$WORK/src" --out "$WORK/big.kitpack" --key "$WORK/k.key" >/dev/null
rm -rf "$WORK/src"
PACK_MB="$(du -m "$WORK/big.kitpack" | cut -f1)"

# nginx storing PUT bodies on the same disk.
mkdir -p "$WORK/nginx/put" "$WORK/nginx/tmp"
NGINX_PORT="$(free_port)"
# As root, nginx's workers would otherwise run as nobody, who cannot write in $WORK.
NGINX_USER=""
if [ "$(id -u)" = 0 ]; then NGINX_USER="user root;"; fi
cat >"$WORK/nginx/nginx.conf" <<CONF
$NGINX_USER
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    client_max_body_size 0;
    location / { root $WORK/nginx/put; dav_methods PUT; create_full_put_path on; }
  }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
sleep 0.5

# baseline: "seconds"
run_baseline() {
  rm -rf "$WORK/base-data" "$WORK/nginx/put/"*
  "$KIT" --data-dir "$WORK/base-data" trust add "$WORK/k.key.pub" >/dev/null 2>&1
  sync
  local start end
  start=$(date +%s.%N)
  curl -sf -T "$WORK/big.kitpack" "http://127.0.0.1:$NGINX_PORT/big.kitpack"
  "$KIT" --data-dir "$WORK/base-data" pack import "$WORK/nginx/put/big.kitpack" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}

# kit: "seconds rss_before_kB rss_peak_kB"
run_kit() {
  rm -rf "$WORK/data"
  mkdir -p "$WORK/data"
  "$KIT" --data-dir "$WORK/data" trust add "$WORK/k.key.pub" >/dev/null 2>&1
  echo "$PASSWORD" | "$KIT" --data-dir "$WORK/data" admin create-user claire --role admin \
    --password-stdin >/dev/null
  start_kit "$WORK/data" "$WORK/kit.log" --no-mdns
  local jar="$WORK/jar" csrf job rss_before peak=0 rss start end state
  rm -f "$jar"
  csrf=$(curl -sf -c "$jar" "$KIT_URL/admin/connexion" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
  curl -sf -b "$jar" -c "$jar" -o /dev/null -H "Origin: $KIT_URL" \
    --data-urlencode "csrf=$csrf" --data-urlencode "nom=claire" \
    --data-urlencode "mot_de_passe=$PASSWORD" "$KIT_URL/admin/connexion"
  csrf=$(curl -sf -b "$jar" "$KIT_URL/admin/paquets" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
  sync
  rss_before=$(status_kb "$KIT_PID" VmRSS)
  ( while kill -0 "$KIT_PID" 2>/dev/null; do status_kb "$KIT_PID" VmRSS; sleep 0.05; done ) \
    >"$WORK/rss" 2>/dev/null &
  local sampler=$!
  start=$(date +%s.%N)
  job=$(curl -sf -b "$jar" -H "Origin: $KIT_URL" -F "csrf=$csrf" -F "paquet=@$WORK/big.kitpack" \
    -o /dev/null -w '%{redirect_url}' "$KIT_URL/admin/paquets/envoyer")
  while :; do
    state=$(curl -sf -b "$jar" "$job/etat")
    case "$state" in *'"finished":true'*) break ;; esac
    sleep 0.05
  done
  end=$(date +%s.%N)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  case "$state" in *'"ok":true'*) ;; *) echo "the install failed: $state" >&2; exit 1 ;; esac
  peak=$(sort -n "$WORK/rss" | tail -n1)
  stop_kit
  awk -v a="$start" -v b="$end" -v r="$rss_before" -v p="$peak" \
    'BEGIN { printf "%.2f %d %d\n", b - a, r, p }'
}

alternate_rounds "$RUNS"
col() { awk -v c="$2" '{ print $c }' "$WORK/$1" | median; }
KIT_S="$(col kit 1)" BASE_S="$(col base 1)"
RATIO="$(awk -v a="$KIT_S" -v b="$BASE_S" 'BEGIN { printf "%.2f", a / b }')"
BEFORE="$(col kit 2)" PEAK="$(col kit 3)"
GROWTH="$((PEAK - BEFORE))"

cat <<EOF2

### bench-upload.sh — $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(machine_line) (load before: $LOAD_BEFORE). Disk: $(df -h "$WORK" | awk 'NR == 2 { print $1 ", " $2 }').
Pack: $PACK_MB MB (large images of $BIG_MB MB). Over loopback, warm page cache, median of $RUNS
alternating rounds.

| measure | kit: upload through the admin page + install | baseline: \`curl -T\` to nginx + \`pack import\` |
| --- | --- | --- |
| wall time (s) | $KIT_S | $BASE_S |
| kit's RSS before → peak (MB) | $(mb "$BEFORE") → $(mb "$PEAK") | — |

Target: within 1.3× of the baseline: ${RATIO}×, $(verdict "$(le "$RATIO" 1.3)").
Memory flat (peak within 16 MB of the RSS before the upload, for a $PACK_MB MB file):
+$(mb "$GROWTH") MB, $(verdict "$(le "$GROWTH" 16384)").
Runs: kit $(runs kit); baseline $(runs base). Load after: $(cut -d' ' -f1-3 /proc/loadavg).
EOF2
