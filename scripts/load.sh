#!/usr/bin/env bash
# Loads the kit like a room of phones (wrk, mixed learner pages), then holds slow and silent
# connections while a normal client browses, then runs the hardening attacks while 50 phones
# browse; prints errors, latency and memory.
# Usage: scripts/load.sh [SECONDS]   (default 60; env CONNS, ITEMS, SLOW, SLOW_SECS, ATTACK_SECS)
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

SECS="${1:-60}"
CONNS="${CONNS:-100}"          # simulated phones
ITEMS="${ITEMS:-2000}"         # generated tutorials besides the starter pack
SLOW="${SLOW:-200}"            # slowloris connections
SLOW_SECS="${SLOW_SECS:-30}"   # how long each attack lasts
ATTACK_SECS="${ATTACK_SECS:-20}" # each of the two runs: 50 phones alone, then attacked

need wrk wrk
need curl curl
WORK="$(mktemp -d /tmp/kit-load.XXXXXX)"
trap 'cleanup_pids; rm -rf "$WORK"' EXIT
build_kit
TOOLS="$ROOT/scripts/bench_tools.py"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "generating and importing $ITEMS tutorials…" >&2
make_library "$WORK/data" "$WORK/gen" "$ITEMS" 20
start_kit "$WORK/data" "$WORK/kit.log"

# The mix: what a phone in a workshop asks for, weighted by repetition.
PATHS=(/ / / /ateliers)
for f in "$ROOT"/content/starter/themes/*.md; do PATHS+=("/themes/$(basename "$f" .md)"); done
PATHS+=(/themes/banc-theme-1 /themes/banc-theme-7)
# gen-pack.py makes ITEMS / (starter tutorials) numbered copies of each starter tutorial.
BASES=$(find "$ROOT"/content/starter/tutorials -name '*.md' | wc -l)
COPIES=$((ITEMS / BASES))
for f in "$ROOT"/content/starter/tutorials/*.md; do
  slug="$(basename "$f" .md)"
  PATHS+=("/tutoriels/$slug" "/tutoriels/$slug/etape/1" "/tutoriels/$slug/etape/2"
    "/tutoriels/$slug-$((COPIES / 3))/etape/1" "/tutoriels/$slug-$((COPIES - 1))/etape/2"
    "/tutoriels/$slug/tout")
done
for q in "mot de passe" "evenement" "événement" "Téléphone" "telephone" "courriel" \
  "contrôle parental" "controle parental" "faux message" "franceconnect"; do
  PATHS+=("/recherche?q=$(python3 -c 'import sys, urllib.parse as u; print(u.quote_plus(sys.argv[1]))' "$q")")
done
for url in $(curl -sf "$KIT_URL/" | grep -o '/_kit/[^"]*' | sort -u); do PATHS+=("$url" "$url"); done
for p in "${PATHS[@]}"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$KIT_URL$p")"
  [ "$code" = 200 ] || { echo "$p answers $code: fix the mix" >&2; exit 1; }
done
{
  echo "local paths = {"
  printf '  "%s",\n' "${PATHS[@]}"
  echo "}"
  echo 'request = function() return wrk.format("GET", paths[math.random(#paths)]) end'
} >"$WORK/mix.lua"

# sample FILE: VmRSS (kB) and thread count of the kit every second, until killed.
sample() {
  while kill -0 "$KIT_PID" 2>/dev/null; do
    echo "$(status_kb "$KIT_PID" VmRSS) $(status_kb "$KIT_PID" Threads)" >>"$1"
    sleep 1
  done
}
RSS_IDLE="$(status_kb "$KIT_PID" VmRSS)"
echo "wrk: $CONNS connections for ${SECS}s, ${#PATHS[@]} paths…" >&2
sample "$WORK/rss-load" &
SAMPLER=$!
BENCH_PIDS+=("$SAMPLER")
wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 5s --latency -s "$WORK/mix.lua" "$KIT_URL" >"$WORK/wrk.txt"
kill "$SAMPLER"
read -r RPS P50 P99 ERRORS < <(wrk_summary <"$WORK/wrk.txt")
ERROR_KINDS="$(grep -h 'Socket errors\|Non-2xx' "$WORK/wrk.txt" | sed 's/^ *//' | paste -sd';' || true)"
RSS_LOAD_MAX="$(awk '{ print $1 }' "$WORK/rss-load" | sort -g | tail -n1)"
THREADS_MAX="$(awk '{ print $2 }' "$WORK/rss-load" | sort -g | tail -n1)"
sleep 5
RSS_AFTER="$(status_kb "$KIT_PID" VmRSS)"

# A normal client (new connection per page) alone, then during each attack.
CLIENT=(/ /tutoriels/mot-de-passe-solide/etape/1 "/recherche?q=mot+de+passe" /themes/securite)
python3 "$TOOLS" probe "$KIT_URL" 10 "${CLIENT[@]}" >"$WORK/probe-calm"
PORT="${KIT_URL##*:}"
attack() { # attack NAME INTERVAL: SLOW connections, one byte every INTERVAL s (0: silent)
  : >"$WORK/rss-$1"
  python3 "$TOOLS" slowloris 127.0.0.1 "$PORT" "$SLOW" "$SLOW_SECS" "$2" >"$WORK/attack-$1" &
  local attacker=$!
  BENCH_PIDS+=("$attacker")
  sleep 3
  sample "$WORK/rss-$1" &
  local sampler=$!
  BENCH_PIDS+=("$sampler")
  python3 "$TOOLS" probe "$KIT_URL" "$((SLOW_SECS - 6))" "${CLIENT[@]}" >"$WORK/probe-$1"
  kill "$sampler"
  wait "$attacker"
}
echo "slowloris: $SLOW trickling connections for ${SLOW_SECS}s…" >&2
attack trickle 2
echo "slowloris: $SLOW silent connections for ${SLOW_SECS}s…" >&2
attack silent 0
# The hardening issue's attacks from one client (unread bodies, a pipeliner that never reads,
# 100 GB bodies, an endless head: bench_tools.py attack) while 50 phones browse the mix.
wrk50() { wrk -t2 -c50 -d"${ATTACK_SECS}s" --timeout 5s --latency -s "$WORK/mix.lua" "$KIT_URL"; }
echo "50 phones for ${ATTACK_SECS}s alone, then under attack…" >&2
wrk50 >"$WORK/wrk-calm.txt"
read -r CALM_RPS CALM_P50 CALM_P99 CALM_ERR < <(wrk_summary <"$WORK/wrk-calm.txt")
sleep 6 # the pool's spare threads end 5 s after a burst
read -r T_IDLE FD_IDLE _ < <(census "$KIT_PID")
python3 "$TOOLS" attack 127.0.0.1 "$PORT" "$((ATTACK_SECS + 2))" >"$WORK/attack-all" &
ATTACKER=$!
BENCH_PIDS+=("$ATTACKER")
sleep 1
wrk50 >"$WORK/wrk-attacked.txt"
wait "$ATTACKER"
read -r ATT_RPS ATT_P50 ATT_P99 ATT_ERR < <(wrk_summary <"$WORK/wrk-attacked.txt")
P99_RATIO="$(awk -v a="$ATT_P99" -v b="$CALM_P99" 'BEGIN { printf "%.2f", a / b }')"
wait_back_to_idle "$KIT_PID" "$T_IDLE" "$FD_IDLE" 30 0.5

probe_row() { # probe_row NAME LABEL
  local n p50 p99 max errs rss threads
  read -r n p50 _ p99 max < <(python3 "$TOOLS" summary <"$WORK/probe-$1")
  errs="$(grep -c '^error' "$WORK/probe-$1" || true)"
  if [ -s "$WORK/rss-$1" ]; then
    rss="$(awk '{ print $1 }' "$WORK/rss-$1" | sort -g | tail -n1)"
    threads="$(awk '{ print $2 }' "$WORK/rss-$1" | sort -g | tail -n1)"
  else
    rss="$(status_kb "$KIT_PID" VmRSS)" threads=-
  fi
  echo "| $2 | $n | $p50 / $p99 / $max | $errs | $(mb "$rss") MB, $threads threads | \
$(cat "$WORK/attack-$1" 2>/dev/null || echo -) | $(verdict $(($(le "$errs" 0) * $(le "$p99" 199.999)))) |"
}
PROBE_CALM_P99="$(python3 "$TOOLS" summary <"$WORK/probe-calm" | cut -d' ' -f4)"

cat <<EOF

### load.sh — $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(machine_line) (load before: $LOAD_BEFORE). Profile \`$PROFILE\`, library: starter +
$ITEMS generated tutorials. \`wrk -t2 -c$CONNS -d${SECS}s --timeout 5s --latency -s mix.lua\`
over ${#PATHS[@]} paths (home, themes, tutorial pages and steps, searches with and without
accents, /_kit/ assets).

| measure | value | target | verdict |
| --- | --- | --- | --- |
| errors (non-2xx/3xx + socket errors) | $ERRORS ${ERROR_KINDS:+($ERROR_KINDS)} | 0 | $(verdict "$(le "$ERRORS" 0)") |
| requests/s | $RPS | — | — |
| p50 / p99 latency | $P50 / $P99 ms | p99 < 200 ms | $(verdict "$(le "$P99" 199.999)") |
| RSS idle before / max during / 5 s after | $(mb "$RSS_IDLE") / $(mb "$RSS_LOAD_MAX") / $(mb "$RSS_AFTER") MB | < 50 MB | $(verdict "$(le "$RSS_LOAD_MAX" 51199)") |
| peak RSS (VmHWM) / max threads | $(mb "$(status_kb "$KIT_PID" VmHWM)") MB / $THREADS_MAX | — | — |

Normal client (new connection per page, one every 50 ms) alone and while $SLOW connections are
held open ($SLOW_SECS s; trickle: one header byte every 2 s; silent: nothing after 16 bytes):

| phase | pages | p50 / p99 / max ms | errors | kit RSS max, threads | attacker | 0 errors, p99 < 200 ms |
| --- | --- | --- | --- | --- | --- | --- |
$(probe_row calm "alone")
$(probe_row trickle "$SLOW trickling")
$(probe_row silent "$SLOW silent")

Client p99 alone: $PROBE_CALM_P99 ms.

50 phones (\`wrk -t2 -c50 -d${ATTACK_SECS}s\`, same mix) alone, then while one client runs the
hardening attacks (\`bench_tools.py attack\`: $(cat "$WORK/attack-all")):

| run | req/s | p50 / p99 ms | errors | target | verdict |
| --- | --- | --- | --- | --- | --- |
| 50 phones alone | $CALM_RPS | $CALM_P50 / $CALM_P99 | $CALM_ERR | — | — |
| 50 phones, attacked | $ATT_RPS | $ATT_P50 / $ATT_P99 | $ATT_ERR | p99 ≤ 2× alone ($P99_RATIO×), 0 errors | $(verdict $(($(le "$P99_RATIO" 2) * $(le "$ATT_ERR" 0)))) |
| threads / fds idle before → back after the attacks | $T_IDLE / $FD_IDLE → $T_NOW / $FD_NOW in ${BACK_S} s | ≤ 15 s | $(verdict "$([ "$BACK_S" != - ] && echo 1 || echo 0)") |

Load after: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
if [ -n "${KEEP:-}" ]; then # raw outputs, for a closer look
  mkdir -p "$KEEP" && cp "$WORK"/wrk.txt "$WORK"/mix.lua "$WORK"/rss-* "$WORK"/probe-* "$KEEP/"
fi
