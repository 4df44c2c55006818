#!/usr/bin/env bash
# A pop-up workshop under load: 30 phones (one request every 2 s each, help requests now and
# then) with 5 dashboards open, beside the same 30 phones with no session running. Prints
# the portal's p99 in both, the kit's peak RSS, and how long a help request takes to show
# on the dashboards (p95).
#
#   bash scripts/bench-workshop.sh        # SECONDS=60 PHONES=30 DASHBOARDS=5
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

SECS="${SECS:-60}"
PHONES="${PHONES:-30}"
DASHBOARDS="${DASHBOARDS:-5}"
PASSWORD="le chat dort au soleil"
TUTORIAL="mot-de-passe-solide"
need curl curl
WORK="$(mktemp -d "${BENCH_DIR:-/tmp}/kit-workshop.XXXXXX")"
trap 'cleanup_pids; rm -rf "$WORK"' EXIT
build_kit
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "$PASSWORD" | "$KIT" --data-dir "$WORK/data" admin create-user claire --role conseiller \
  --password-stdin >/dev/null
start_kit "$WORK/data" "$WORK/kit.log" --no-mdns
STEPS=$(curl -sf "$KIT_URL/tutoriels/$TUTORIAL" | grep -o "/tutoriels/$TUTORIAL/etape/[0-9]*" | sort -u | wc -l)

# The conseiller logs in (the session cookie feeds the dashboards).
jar="$WORK/jar"
token() { curl -sf -b "$jar" -c "$jar" "$KIT_URL$1" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1; }
csrf=$(token /admin/connexion)
curl -sf -b "$jar" -c "$jar" -o /dev/null -H "Origin: $KIT_URL" --data-urlencode "csrf=$csrf" \
  --data-urlencode nom=claire --data-urlencode "mot_de_passe=$PASSWORD" "$KIT_URL/admin/connexion"
SESSION="kit_session=$(awk '$6 == "kit_session" { print $7 }' "$jar")"

rss_sampler() { while kill -0 "$KIT_PID" 2>/dev/null; do status_kb "$KIT_PID" VmRSS; sleep 0.2; done; }

echo "no session: $PHONES phones for $SECS s…" >&2
WITHOUT=$(python3 "$ROOT/scripts/bench_workshop.py" "$KIT_URL" "$SECS" "$PHONES" 0 - "$TUTORIAL" "$STEPS")

csrf=$(token /admin/atelier)
curl -sf -b "$jar" -o /dev/null -H "Origin: $KIT_URL" --data-urlencode "csrf=$csrf" \
  --data-urlencode atelier=proteger-ses-comptes --data-urlencode lieu=Banc --data-urlencode duree=60 \
  "$KIT_URL/admin/atelier"
echo "a session: $PHONES phones and $DASHBOARDS dashboards for $SECS s…" >&2
rss_sampler >"$WORK/rss" 2>/dev/null &
SAMPLER=$!
WITH=$(python3 "$ROOT/scripts/bench_workshop.py" "$KIT_URL" "$SECS" "$PHONES" "$DASHBOARDS" "$SESSION" "$TUTORIAL" "$STEPS")
kill "$SAMPLER" 2>/dev/null || true
PEAK=$(sort -n "$WORK/rss" | tail -n1)
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
P99_WITHOUT=$(field "$WITHOUT" p99_ms) P99_WITH=$(field "$WITH" p99_ms)
RATIO=$(awk -v a="$P99_WITH" -v b="$P99_WITHOUT" 'BEGIN { printf "%.2f", a / b }')
DASH=$(field "$WITH" dashboard_p95_s)

cat <<EOF2

### bench-workshop.sh — $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(machine_line) (load before: $LOAD_BEFORE). $PHONES phones (one request every 2 s each), $SECS s per run,
tutorial \`$TUTORIAL\` ($STEPS steps), $DASHBOARDS dashboards polling every second.

| measure | no session | a session running |
| --- | --- | --- |
| requests | $(field "$WITHOUT" requests) | $(field "$WITH" requests) |
| errors | $(field "$WITHOUT" errors) | $(field "$WITH" errors) |
| portal p50 / p99 (ms) | $(field "$WITHOUT" p50_ms) / $P99_WITHOUT | $(field "$WITH" p50_ms) / $P99_WITH |
| help requests asked / seen on a dashboard | — | $(field "$WITH" help_asked) / $(field "$WITH" help_seen) |

Targets: portal p99 within 20 % of no session: ${RATIO}×, $(verdict "$(le "$RATIO" 1.2)");
kit RSS ≤ 50 MB: peak $(mb "$PEAK") MB, $(verdict "$(le "$PEAK" 51200)");
dashboard update p95 ≤ 2 s: ${DASH} s, $(verdict "$(le "${DASH:-99}" 2)").
Load after: $(cut -d' ' -f1-3 /proc/loadavg).
EOF2
