#!/usr/bin/env bash
# Measures the portal against its targets (start, memory, req/s and latency beside nginx and
# kiwix-serve, a practice form's POST, page weight, search) on a generated full library;
# prints a Markdown table.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

ITEMS="${ITEMS:-10000}"        # generated tutorials (plus the starter pack)
RUNS="${RUNS:-3}"              # wrk rounds; the median is reported
DURATION="${DURATION:-15s}"    # each wrk run
STARTS="${STARTS:-7}"          # restarts timed to the first 200
TUTORIAL="${TUTORIAL:-/tutoriels/mot-de-passe-solide/tout}"
QUERIES=("mot de passe" "evenement" "événement" "Téléphone" "courriel" "franceconnect"
  "appli" "faux message" "calendrier" "contrôle parental" "libreoffice" "impots" "wifi"
  "adresse e-mail" "verifier une information" "photo" "autorisations" "xyzzy" "37" "lettre")

need wrk wrk
need curl curl
need nginx nginx-light
need kiwix-serve kiwix-tools
need zimwriterfs zim-tools
WORK="$(mktemp -d /tmp/kit-bench.XXXXXX)"
NGINX_PID="" KIWIX_PID=""
trap 'cleanup_pids; rm -rf "$WORK"' EXIT
build_kit
TOOLS="$ROOT/scripts/bench_tools.py"
echo "machine: $(machine_line)" >&2
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "generating and importing $ITEMS tutorials…" >&2
make_library "$WORK/data" "$WORK/gen" "$ITEMS" 20

echo "timing $STARTS restarts to the first 200…" >&2
FIRST200="$(python3 "$TOOLS" first200 "$KIT" "$WORK/data" "$STARTS" | median)"

# A room of phones on a kit just started: no warm-up, 60 connections at once.
echo "a fresh kit under wrk -c60 for 5 s…" >&2
start_kit "$WORK/data" "$WORK/kit-fresh.log"
wrk -t2 -c60 -d5s --latency "$KIT_URL/" >"$WORK/wrk-fresh.txt"
read -r _ _ FRESH_P99 FRESH_ERR < <(wrk_summary <"$WORK/wrk-fresh.txt")
FRESH_MAX="$(wrk_max <"$WORK/wrk-fresh.txt")"
stop_kit

start_kit "$WORK/data" "$WORK/kit.log"
sleep 2
RSS_IDLE="$(status_kb "$KIT_PID" VmRSS)"

# Page weight: each page plus the /_kit/ CSS and JS it references, uncompressed.
weigh() {
  local html css_js=0 url
  html="$(curl -sf "$KIT_URL$1" | wc -c)"
  for url in $(curl -sf "$KIT_URL$1" | grep -o '/_kit/[^"]*\.\(css\|js\)' | sort -u); do
    css_js=$((css_js + $(curl -sf "$KIT_URL$url" | wc -c)))
  done
  echo $((html + css_js))
}
WEIGHT_ROWS=""
for page in / "$TUTORIAL" /tutoriels/mot-de-passe-solide /tutoriels/mot-de-passe-solide/etape/2 \
  /themes/securite /themes/banc-theme-3 "/recherche?q=mot+de+passe"; do
  w="$(weigh "$page")"
  WEIGHT_ROWS+="| page weight \`$page\` (HTML+CSS+JS) | $((w / 1024)) KB | ≤ 30 KB | $(verdict "$(le "$w" 30720)") |"$'\n'
done

# The peers serve the tutorial page saved from the kit.
mkdir -p "$WORK/www" "$WORK/zim" "$WORK/nginx"
curl -sf "$KIT_URL$TUTORIAL" -o "$WORK/www/page.html"
cp "$WORK/www/page.html" "$WORK/zim/index.html"
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
  types { text/html html; }
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
  }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
BENCH_PIDS+=("$NGINX_PID")

python3 "$TOOLS" png "$WORK/zim/illustration.png"
zimwriterfs --welcome=index.html --illustration=illustration.png --language=fra \
  --title="Banc mednum-kit" --description="Une page du kit" --creator=mednum-kit \
  --publisher=mednum-kit --name=kitbench "$WORK/zim" "$WORK/kitbench.zim" >/dev/null
KIWIX_PORT="$(free_port)"
kiwix-serve --address=127.0.0.1 --port="$KIWIX_PORT" "$WORK/kitbench.zim" >"$WORK/kiwix.log" 2>&1 &
KIWIX_PID=$!
BENCH_PIDS+=("$KIWIX_PID")
sleep 1
NGINX_URL="http://127.0.0.1:$NGINX_PORT/page.html"
KIWIX_URL=""
for path in /kitbench/index.html /kitbench/A/index.html /content/kitbench/index.html; do
  if curl -sf -o /dev/null "http://127.0.0.1:$KIWIX_PORT$path"; then
    KIWIX_URL="http://127.0.0.1:$KIWIX_PORT$path"
    break
  fi
done
[ -n "$KIWIX_URL" ] || { echo "kiwix-serve does not serve the page" >&2; exit 1; }
curl -sf -o /dev/null "$NGINX_URL"

# wrk rounds, order rotated each round; results in $WORK/wrk/<name>.
declare -A URLS=([kit-home]="$KIT_URL/" [kit-tutorial]="$KIT_URL$TUTORIAL"
  [nginx]="$NGINX_URL" [kiwix]="$KIWIX_URL")
declare -A PIDS=([kit-home]="$KIT_PID" [kit-tutorial]="$KIT_PID" [nginx]="$NGINX_PID"
  [kiwix]="$KIWIX_PID")
NAMES=(kit-home kit-tutorial nginx kiwix)
mkdir -p "$WORK/wrk"
for round in $(seq 1 "$RUNS"); do
  for i in 0 1 2 3; do
    name="${NAMES[$(((i + round) % 4))]}"
    echo "round $round: $name" >&2
    before="$(cpu_ticks "${PIDS[$name]}")"
    wrk -t2 -c50 -d"$DURATION" --latency "${URLS[$name]}" >"$WORK/wrk/last"
    used="$(($(cpu_ticks "${PIDS[$name]}") - before))"
    cat "$WORK/wrk/last" >>"$WORK/wrk/$name.txt"
    # One line per run: req/s p50 p99 errors, then CPU µs per request (server side).
    echo "$(wrk_summary <"$WORK/wrk/last") $(awk -v t="$used" -v hz="$(getconf CLK_TCK)" \
      '/requests in/ { printf "%.0f", t * 1e6 / hz / $1 }' "$WORK/wrk/last")" >>"$WORK/wrk/$name"
  done
done
# A practice form: POST of question 5 of the 10-question "Changer d'adresse", the answers to
# questions 1-4 in the request as a phone without JavaScript sends them.
echo "practice form: POST of question 5 of 10…" >&2
FORM_PATH=/formulaires/changer-d-adresse
FORM_BODY="q=ancien-code-postal&r.nom=Martin&r.prenom=Claire&r.naissance=03%2F04%2F1950"
FORM_BODY+="&r.ancienne-adresse=12+rue+des+Lilas&r.ancien-code-postal=59500"
FORM_BODY+="&r.ancien-code-postal.commune=Douai&aller=suivant"
cat >"$WORK/form.lua" <<EOF
wrk.method = "POST"
wrk.body = "$FORM_BODY"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
EOF
curl -sf -X POST --data "$FORM_BODY" "$KIT_URL$FORM_PATH" >"$WORK/form-q6.html"
grep -q "Question 6 sur 10" "$WORK/form-q6.html" || { echo "the form step does not reach question 6" >&2; exit 1; }
for round in $(seq 1 "$RUNS"); do
  before="$(cpu_ticks "$KIT_PID")"
  wrk -t2 -c50 -d"$DURATION" --latency -s "$WORK/form.lua" "$KIT_URL$FORM_PATH" >"$WORK/wrk/last"
  used="$(($(cpu_ticks "$KIT_PID") - before))"
  echo "$(wrk_summary <"$WORK/wrk/last") $(awk -v t="$used" -v hz="$(getconf CLK_TCK)" \
    '/requests in/ { printf "%.0f", t * 1e6 / hz / $1 }' "$WORK/wrk/last")" >>"$WORK/wrk/kit-form"
done
# The question page it answers: its HTML plus the CSS and JS it references.
FORM_WEIGHT="$(wc -c <"$WORK/form-q6.html")"
for url in $(grep -o '/_kit/[^"]*\.\(css\|js\)' "$WORK/form-q6.html" | sort -u); do
  FORM_WEIGHT=$((FORM_WEIGHT + $(curl -sf "$KIT_URL$url" | wc -c)))
done
RSS_LOADED="$(status_kb "$KIT_PID" VmRSS)"
RSS_PEAK="$(status_kb "$KIT_PID" VmHWM)"
col() { awk -v c="$2" '{ print $c }' "$WORK/wrk/$1" | median; }

echo "searching…" >&2
python3 "$TOOLS" latency "$KIT_URL" 10 "${QUERIES[@]}" >"$WORK/search"
read -r _ S50 S95 S99 SMAX < <(python3 "$TOOLS" summary <"$WORK/search")
SLOWEST="$(python3 "$TOOLS" slowest 3 <"$WORK/search")"
sleep 10
RSS_SETTLED="$(status_kb "$KIT_PID" VmRSS)"

# The hardening attacks from one client (bench_tools.py attack), 15 s: threads and file
# descriptors before, at their peak, and how long until they are back to the idle figure.
echo "attacks: threads, descriptors, memory…" >&2
PORT="${KIT_URL##*:}"
read -r T_IDLE FD_IDLE _ < <(census "$KIT_PID")
python3 "$TOOLS" attack 127.0.0.1 "$PORT" 15 >"$WORK/attack-all" &
ATTACKER=$!
BENCH_PIDS+=("$ATTACKER")
T_PEAK=0 FD_PEAK=0
while kill -0 "$ATTACKER" 2>/dev/null; do
  read -r t fd _ < <(census "$KIT_PID")
  T_PEAK=$((t > T_PEAK ? t : T_PEAK)) FD_PEAK=$((fd > FD_PEAK ? fd : FD_PEAK))
  sleep 0.2
done
wait_back_to_idle "$KIT_PID" "$T_IDLE" "$FD_IDLE" 75 0.2
# RSS while one client streams request heads with no end, 10 s.
python3 "$TOOLS" attack 127.0.0.1 "$PORT" 10 endless >"$WORK/attack-endless" &
ATTACKER=$!
BENCH_PIDS+=("$ATTACKER")
RSS_ENDLESS=0
while kill -0 "$ATTACKER" 2>/dev/null; do
  r="$(status_kb "$KIT_PID" VmRSS)"
  RSS_ENDLESS=$((r > RSS_ENDLESS ? r : RSS_ENDLESS))
  sleep 0.2
done

KIT_RPS="$(col kit-tutorial 1)" NGINX_RPS="$(col nginx 1)" KIWIX_RPS="$(col kiwix 1)"
R_NGINX="$(awk -v a="$KIT_RPS" -v b="$NGINX_RPS" 'BEGIN { printf "%.2f", a / b }')"
R_KIWIX="$(awk -v a="$KIT_RPS" -v b="$KIWIX_RPS" 'BEGIN { printf "%.1f", a / b }')"
errors() { awk '{ s += $4 } END { print s + 0 }' "$WORK/wrk/$1"; }
ERRORS=$(($(errors kit-home) + $(errors kit-tutorial) + $(errors kit-form)))

cat <<EOF

### bench.sh — $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(machine_line) (load before: $LOAD_BEFORE). Profile \`$PROFILE\`, library: starter + $ITEMS
generated tutorials in 20 themes. wrk -t2 -c50 -d$DURATION --latency, median of $RUNS rounds.

| server, page | req/s | p50 ms | p99 ms | server CPU µs/request | errors (all runs) |
| --- | --- | --- | --- | --- | --- |
| kit \`/\` | $(col kit-home 1) | $(col kit-home 2) | $(col kit-home 3) | $(col kit-home 5) | $(errors kit-home) |
| kit POST \`$FORM_PATH\` (question 5 of 10, state in the request) | $(col kit-form 1) | $(col kit-form 2) | $(col kit-form 3) | $(col kit-form 5) | $(errors kit-form) |
| kit \`$TUTORIAL\` | $KIT_RPS | $(col kit-tutorial 2) | $(col kit-tutorial 3) | $(col kit-tutorial 5) | $(errors kit-tutorial) |
| nginx, same page (static) | $NGINX_RPS | $(col nginx 2) | $(col nginx 3) | $(col nginx 5) | $(errors nginx) |
| kiwix-serve, same page (ZIM) | $KIWIX_RPS | $(col kiwix 2) | $(col kiwix 3) | $(col kiwix 5) | $(errors kiwix) |

| measure | value | target | verdict |
| --- | --- | --- | --- |
| first 200 on \`/\` after start (median of $STARTS) | $FIRST200 ms | ≤ 150 ms | $(verdict "$(le "$FIRST200" 150)") |
| RSS idle (2 s after start) | $(mb "$RSS_IDLE") MB | ≤ 15 MB | $(verdict "$(le "$RSS_IDLE" 15360)") |
| RSS right after load / peak (VmHWM) | $(mb "$RSS_LOADED") / $(mb "$RSS_PEAK") MB | ≤ 50 MB | $(verdict "$(le "$RSS_PEAK" 51200)") |
| RSS idle again (10 s after the searches) | $(mb "$RSS_SETTLED") MB | ≤ 15 MB | $(verdict "$(le "$RSS_SETTLED" 15360)") |
| tutorial req/s ÷ nginx | ${R_NGINX}× | ≥ 0.5× | $(verdict "$(le 0.5 "$R_NGINX")") |
| tutorial req/s ÷ kiwix-serve | ${R_KIWIX}× | ≥ 5× | $(verdict "$(le 5 "$R_KIWIX")") |
| p99, home / tutorial | $(col kit-home 3) / $(col kit-tutorial 3) ms | ≤ 20 ms | $(verdict $(($(le "$(col kit-home 3)" 20) * $(le "$(col kit-tutorial 3)" 20)))) |
| practice form: p99 of the POST of question 5 of 10, 50 connections | $(col kit-form 3) ms | ≤ 20 ms | $(verdict "$(le "$(col kit-form 3)" 20)") |
| practice form: a question page (HTML+CSS+JS) | $((FORM_WEIGHT / 1024)) KB ($FORM_WEIGHT B) | ≤ 20 KB | $(verdict "$(le "$FORM_WEIGHT" 20480)") |
| kit wrk errors (non-2xx/3xx, socket), all runs | $ERRORS | 0 | $(verdict "$(le "$ERRORS" 0)") |
| fresh kit, \`wrk -t2 -c60 -d5s\` on \`/\`: max / p99 latency, errors | $FRESH_MAX / $FRESH_P99 ms, $FRESH_ERR | max ≤ 100 ms, p99 ≤ 20 ms | $(verdict $(($(le "$FRESH_MAX" 100) * $(le "$FRESH_P99" 20) * $(le "$FRESH_ERR" 0)))) |
| threads / fds: idle, peak under attack, back | $T_IDLE / $FD_IDLE, $T_PEAK / $FD_PEAK, $T_NOW / $FD_NOW after ${BACK_S} s | back ≤ 15 s | $(verdict "$([ "$BACK_S" != - ] && echo 1 || echo 0)") |
| RSS max under an endless request head (10 s) | $(mb "$RSS_ENDLESS") MB | ≤ 64 MB | $(verdict "$(le "$RSS_ENDLESS" 65536)") |
$WEIGHT_ROWS| search p50 / p95 / p99 / max ($((${#QUERIES[@]} * 10)) queries, one client) | $S50 / $S95 / $S99 / $SMAX ms | p95 ≤ 10 ms | $(verdict "$(le "$S95" 10)") |

Attacks (one client, 15 s): $(cat "$WORK/attack-all"); endless head: $(cat "$WORK/attack-endless").
Slowest searches: ${SLOWEST:-none}. Load after: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
if [ -n "${KEEP:-}" ]; then # raw wrk outputs and search timings, for a closer look
  mkdir -p "$KEEP" && cp -r "$WORK/wrk" "$WORK/search" "$KEEP/"
fi

# Video and compression beside nginx: a section of its own (scripts/bench-media.sh).
SKIP_BUILD=1 bash "$ROOT/scripts/bench-media.sh"
