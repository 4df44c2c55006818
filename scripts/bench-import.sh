#!/usr/bin/env bash
# Times `pack import` of a ~200 MB pack beside `unzip` + `sha256sum` of the same pack on the
# same disk (alternating, median of RUNS), with peak memory; prints a Markdown table.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

RUNS="${RUNS:-3}"
TUTORIALS="${TUTORIALS:-2000}"
IMAGE_KB="${IMAGE_KB:-48}"     # one random image per tutorial
BIG_MB="${BIG_MB:-20,30,40}"   # a few large images

need unzip unzip
need sha256sum coreutils
need /usr/bin/time time
WORK="$(mktemp -d "${BENCH_DIR:-/tmp}/kit-import.XXXXXX")"
trap 'cleanup_pids; rm -rf "$WORK"' EXIT
build_kit
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "generating the packs…" >&2
python3 "$ROOT/scripts/gen-pack.py" "$WORK/src" --tutorials "$TUTORIALS" --image-kb "$IMAGE_KB" \
  --big-mb "$BIG_MB"
python3 "$ROOT/scripts/gen-pack.py" "$WORK/src-small" --id petit --tutorials "$TUTORIALS" \
  --image-kb "$IMAGE_KB"
"$KIT" key generate --out "$WORK/k.key" >/dev/null 2>&1
"$KIT" pack build "$WORK/src" --out "$WORK/big.kitpack" --key "$WORK/k.key" >/dev/null
"$KIT" pack build "$WORK/src-small" --out "$WORK/small.kitpack" --key "$WORK/k.key" >/dev/null
rm -rf "$WORK/src" "$WORK/src-small"
PACK_MB="$(du -m "$WORK/big.kitpack" | cut -f1)"
FILES="$(unzip -Z1 "$WORK/big.kitpack" | wc -l)"

fresh_kit_dir() {
  rm -rf "$WORK/data"
  "$KIT" --data-dir "$WORK/data" trust add "$WORK/k.key.pub" >/dev/null 2>&1
  sync
}
# Each prints "seconds peak_rss_kB".
run_kit() { # run_kit PACK
  fresh_kit_dir
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$KIT" --data-dir "$WORK/data" pack import "$1" \
    >/dev/null 2>&1
  cat "$WORK/t"
}
# run_baseline [each|fs]: unzip, hash every file; then fsync each file, or one syncfs.
run_baseline() {
  rm -rf "$WORK/out"
  sync
  /usr/bin/time -f "%e %M" -o "$WORK/t" bash -c '
    unzip -q "$1" -d "$2" && find "$2" -type f -print0 | xargs -0 sha256sum >/dev/null
    case "$3" in
      each) find "$2" -type f -print0 | xargs -0 sync ;;
      fs) sync -f "$2" ;;
    esac' _ "$WORK/big.kitpack" "$WORK/out" "${1:-}"
  cat "$WORK/t"
}

# The pack was just written, so every run reads it from the page cache.
for round in $(seq 1 "$RUNS"); do
  echo "round $round…" >&2
  if [ $((round % 2)) = 1 ]; then
    run_kit "$WORK/big.kitpack" >>"$WORK/kit"
    run_baseline >>"$WORK/base"
    run_baseline each >>"$WORK/base-each"
    run_baseline fs >>"$WORK/base-fs"
  else
    run_baseline fs >>"$WORK/base-fs"
    run_baseline each >>"$WORK/base-each"
    run_baseline >>"$WORK/base"
    run_kit "$WORK/big.kitpack" >>"$WORK/kit"
  fi
done
SMALL="$(run_kit "$WORK/small.kitpack")"
col() { awk -v c="$2" '{ print $c }' "$WORK/$1" | median; }
KIT_S="$(col kit 1)" BASE_S="$(col base 1)" EACH_S="$(col base-each 1)" FS_S="$(col base-fs 1)"
ratio() { awk -v a="$KIT_S" -v b="$1" 'BEGIN { printf "%.2f", a / b }'; }
RATIO="$(ratio "$BASE_S")"
PEAK="$(col kit 2)" PEAK_SMALL="$(echo "$SMALL" | cut -d' ' -f2)"

cat <<EOF

### bench-import.sh — $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(machine_line) (load before: $LOAD_BEFORE). Disk: $(df -h "$WORK" | awk 'NR == 2 { print $1 ", " $2 }').
Pack: $PACK_MB MB, $FILES entries ($TUTORIALS tutorials with a $IMAGE_KB KB image each, large images
of $BIG_MB MB). Warm page cache (caches not dropped), median of $RUNS alternating rounds.

| measure | kit \`pack import\` | baseline: \`unzip\` + \`sha256sum\` | baseline + one syncfs | baseline + fsync of each file |
| --- | --- | --- | --- | --- |
| wall time (s) | $KIT_S | $BASE_S | $FS_S | $EACH_S |
| kit ÷ that | — | ${RATIO}× | $(ratio "$FS_S")× | $(ratio "$EACH_S")× |
| peak RSS (MB) | $(mb "$PEAK") | $(mb "$(col base 2)") | $(mb "$(col base-fs 2)") | $(mb "$(col base-each 2)") |

Target: kit within 1.3× of the baseline (\`unzip\` + \`sha256sum\`): ${RATIO}×, $(verdict "$(le "$RATIO" 1.3)").

Memory against the largest file: peak RSS $(mb "$PEAK") MB with large images up to
${BIG_MB##*,} MB, $(mb "$PEAK_SMALL") MB for the same pack without them (largest file
$IMAGE_KB KB): $(verdict "$(le "$PEAK" "$((PEAK_SMALL + 8192))")") (flat: within 8 MB).
Runs: kit $(runs kit); baseline $(runs base); + syncfs $(runs base-fs); + fsync each $(runs base-each).
Load after: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
