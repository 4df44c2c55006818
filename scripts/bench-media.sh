#!/usr/bin/env bash
# Measures video and compression beside nginx: 20 clients seeking in a 50 MB video while 30
# load pages, a first visit's bytes with and without gzip, CPU per compressed page; Markdown.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

SECONDS_LOAD="${SECONDS_LOAD:-20}"   # each video-under-load run
VIDEO_MB="${VIDEO_MB:-50}"
TUTORIAL="${TUTORIAL:-/tutoriels/mot-de-passe-solide/tout}"

need wrk wrk
need curl curl
need nginx nginx-light
WORK="$(mktemp -d /tmp/kit-bench-media.XXXXXX)"
trap 'cleanup_pids; rm -rf "$WORK"' EXIT
[ -n "${SKIP_BUILD:-}" ] || build_kit
MEDIA_TOOLS="$ROOT/scripts/bench_media.py"
FIXTURES="$ROOT/tests/fixtures/media"
echo "machine: $(machine_line)" >&2
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# A pack with a 50 MB video: the fixture clip's bytes, then random bytes (so that nothing
# compresses it on the way), and its subtitles.
media_pack() {
  local src="$WORK/src"
  mkdir -p "$src/themes" "$src/tutorials" "$src/media"
  printf 'id = "banc-video"\nversion = "1.0.0"\ntitle = "Banc vidéo"\n' >"$src/pack.toml"
  printf '+++\ntitle = "Vidéos"\nsummary = "Des vidéos."\n+++\nDes vidéos.\n' >"$src/themes/banc-videos.md"
  printf '+++\ntitle = "Film"\ntheme = "banc-videos"\nlevel = "debutant"\nduration = 5\nsummary = "Un film."\n+++\n## Regardez\n![Le film](../media/film.mp4)\n' \
    >"$src/tutorials/banc-film.md"
  cp "$FIXTURES/clip.mp4" "$src/media/film.mp4"
  head -c $((VIDEO_MB * 1024 * 1024 - $(stat -c %s "$FIXTURES/clip.mp4"))) /dev/urandom >>"$src/media/film.mp4"
  cp "$FIXTURES/clip.vtt" "$src/media/film.vtt"
  "$KIT" pack build "$src" --out "$WORK/film.kitpack" >/dev/null
  "$KIT" --data-dir "$WORK/data" pack import "$WORK/film.kitpack" --allow-untrusted >/dev/null 2>&1
}

echo "a pack with a $VIDEO_MB MB video…" >&2
mkdir -p "$WORK/data"
media_pack
start_kit "$WORK/data" "$WORK/kit.log"
VIDEO_PATH="/contenus/banc-video/1.0.0/media/film.mp4"
curl -sf -o /dev/null "$KIT_URL$VIDEO_PATH"

# nginx serves the same video (a copy of the bytes the kit serves: the kit keeps a big video
# inside the pack's .kitpack, see packs::inpack), and the kit's tutorial page precompressed
# (gzip_static).
mkdir -p "$WORK/www" "$WORK/nginx" "$WORK/www$(dirname "$VIDEO_PATH")"
curl -sf "$KIT_URL$VIDEO_PATH" -o "$WORK/www$VIDEO_PATH"
curl -sf "$KIT_URL$TUTORIAL" -o "$WORK/www/page.html"
gzip -9 -k "$WORK/www/page.html"
chmod -R a+rX "$WORK"
NGINX_PORT="$(free_port)"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { text/html html; video/mp4 mp4; }
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { root $WORK/www; gzip_static on; }
  }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
BENCH_PIDS+=("$NGINX_PID")
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 1 50); do curl -sf -o /dev/null "$NGINX_URL/page.html" && break; sleep 0.1; done
cmp <(curl -sf "$NGINX_URL$VIDEO_PATH") <(curl -sf "$KIT_URL$VIDEO_PATH")

# (1) 20 clients seeking in the video (1 MB Range requests) while 30 load the tutorial page.
# Prints: MB/s range-requests range-errors page-req/s page-p99-ms page-errors [threads rss-kB].
video_under_load() {
  local video="$1" page="$2" pid="$3" name="$4"
  python3 "$MEDIA_TOOLS" ranges "$video" 20 "$SECONDS_LOAD" >"$WORK/$name-ranges" &
  local ranges=$!
  BENCH_PIDS+=("$ranges")
  wrk -t1 -c30 -d"${SECONDS_LOAD}s" --latency "$page" >"$WORK/$name-wrk" &
  local pages=$!
  BENCH_PIDS+=("$pages")
  local threads=0 rss=0 t r
  sleep 2
  while kill -0 "$pages" 2>/dev/null; do
    t="$(status_kb "$pid" Threads)" r="$(status_kb "$pid" VmRSS)"
    threads=$((t > threads ? t : threads)) rss=$((r > rss ? r : rss))
    sleep 0.5
  done
  wait "$ranges" "$pages"
  read -r rps _ p99 errors < <(wrk_summary <"$WORK/$name-wrk")
  echo "$(cat "$WORK/$name-ranges") $rps $p99 $errors $threads $rss"
}
echo "video under load: kit…" >&2
T_IDLE="$(status_kb "$KIT_PID" Threads)" RSS_IDLE="$(status_kb "$KIT_PID" VmRSS)"
read -r K_MBS K_RANGES K_RERR K_RPS K_P99 K_ERR K_THREADS K_RSS \
  < <(video_under_load "$KIT_URL$VIDEO_PATH" "$KIT_URL$TUTORIAL" "$KIT_PID" kit)
echo "video under load: nginx…" >&2
read -r N_MBS N_RANGES N_RERR N_RPS N_P99 N_ERR _ _ \
  < <(video_under_load "$NGINX_URL$VIDEO_PATH" "$NGINX_URL/page.html" "$NGINX_PID" nginx)
R_VIDEO="$(awk -v a="$K_MBS" -v b="$N_MBS" 'BEGIN { printf "%.2f", a / b }')"

# (2) A first visit to the home page: bytes with and without compression.
read -r V_RESP V_PLAIN V_PLAIN_HEADS V_GZ V_GZ_HEADS < <(python3 "$MEDIA_TOOLS" first_visit "$KIT_URL")

# (3) Server CPU per request for the tutorial page sent gzip-compressed, beside nginx's
# gzip_static (the same bytes compressed ahead).
cpu_per_request() {
  local url="$1" pid="$2" before used
  before="$(cpu_ticks "$pid")"
  wrk -t2 -c50 -d10s -H 'Accept-Encoding: gzip' "$url" >"$WORK/cpu-wrk"
  used="$(($(cpu_ticks "$pid") - before))"
  awk -v t="$used" -v hz="$(getconf CLK_TCK)" '/requests in/ { printf "%.0f", t * 1e6 / hz / $1 }' "$WORK/cpu-wrk"
  echo " $(wrk_summary <"$WORK/cpu-wrk" | cut -d' ' -f1)"
}
curl -sf -H 'Accept-Encoding: gzip' -D - -o /dev/null "$KIT_URL$TUTORIAL" | grep -qi '^content-encoding: gzip'
curl -sf -H 'Accept-Encoding: gzip' -D - -o /dev/null "$NGINX_URL/page.html" | grep -qi '^content-encoding: gzip'
# This machine's CPU time per request moves by ±15 % from one 10 s run to the next: three
# rounds, kit and nginx alternating, and the median of each.
echo "CPU per compressed page (3 alternating rounds)…" >&2
for round in 1 2 3; do
  cpu_per_request "$KIT_URL$TUTORIAL" "$KIT_PID" >>"$WORK/cpu-kit"
  cpu_per_request "$NGINX_URL/page.html" "$NGINX_PID" >>"$WORK/cpu-nginx"
done
median_row() { sort -n -k1,1 "$1" | sed -n 2p; }
read -r K_CPU K_CPU_RPS < <(median_row "$WORK/cpu-kit")
read -r N_CPU N_CPU_RPS < <(median_row "$WORK/cpu-nginx")
CPU_ROUNDS="kit $(cut -d' ' -f1 "$WORK/cpu-kit" | paste -sd/), nginx $(cut -d' ' -f1 "$WORK/cpu-nginx" | paste -sd/)"
R_CPU="$(awk -v a="$K_CPU" -v b="$N_CPU" 'BEGIN { printf "%.2f", a / b }')"
PAGE_GZ="$(stat -c %s "$WORK/www/page.html.gz")" PAGE_PLAIN="$(stat -c %s "$WORK/www/page.html")"

cat <<EOF

### bench-media.sh — $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(machine_line) (load before: $LOAD_BEFORE). Profile \`$PROFILE\`, library: starter +
one pack with a $VIDEO_MB MB video. Video under load: 20 Python clients asking random 1 MB
Range parts for ${SECONDS_LOAD} s while \`wrk -t1 -c30\` loads \`$TUTORIAL\` (nginx: the same page, static).

| server | video MB/s | Range requests (errors) | page req/s | page p99 ms | page errors |
| --- | --- | --- | --- | --- | --- |
| kit | $K_MBS | $K_RANGES ($K_RERR) | $K_RPS | $K_P99 | $K_ERR |
| nginx, same files | $N_MBS | $N_RANGES ($N_RERR) | $N_RPS | $N_P99 | $N_ERR |

| measure | value | target | verdict |
| --- | --- | --- | --- |
| video throughput under load ÷ nginx | ${R_VIDEO}× | ≥ 0.8× | $(verdict "$(le 0.8 "$R_VIDEO")") |
| page p99 while 20 clients take the video | $K_P99 ms | ≤ 20 ms | $(verdict "$(le "$K_P99" 20)") |
| kit threads / RSS: idle, peak with 50 clients (20 streaming) | $T_IDLE / $(mb "$RSS_IDLE") MB, $K_THREADS / $(mb "$K_RSS") MB | ≤ idle + 1 per connection + 2 (no writer per stream) | $(verdict "$(le "$K_THREADS" $((T_IDLE + 52)))") |
| first visit to \`/\` ($V_RESP responses): bodies plain → gzip | $V_PLAIN → $V_GZ bytes | ≤ 10 KB | $(verdict "$(le "$V_GZ" 10240)") |
| first visit: HTTP heads, plain / gzip | $V_PLAIN_HEADS / $V_GZ_HEADS bytes | — | — |
| tutorial page, plain → gzip | $PAGE_PLAIN → $PAGE_GZ bytes | — | — |
| server CPU µs per compressed tutorial page: kit / nginx gzip_static (median of 3 rounds: $CPU_ROUNDS µs) | $K_CPU / $N_CPU µs ($K_CPU_RPS / $N_CPU_RPS req/s) | kit ≤ 1.5× nginx | ${R_CPU}× $(verdict "$(le "$R_CPU" 1.5)") |

Load after: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
