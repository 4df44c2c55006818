#!/usr/bin/env bash
# Measures the take-home files: the size of every starter tutorial's file (max, median), the
# time to make one, and the refusal of a tutorial with a BIG_MB photo (time, kit memory).
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"

BIG_MB="${BIG_MB:-20}"   # the photo of the tutorial that must be refused

need curl curl
WORK="$(mktemp -d /tmp/kit-bench-takehome.XXXXXX)"
trap 'cleanup_pids; rm -rf "$WORK"' EXIT
[ -n "${SKIP_BUILD:-}" ] || build_kit
echo "machine: $(machine_line)" >&2
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# A pack with one tutorial showing a BIG_MB photo (random bytes after a PNG signature: the
# kit never decodes it, nothing compresses it).
src="$WORK/src"
mkdir -p "$src/themes" "$src/tutorials" "$src/images" "$WORK/data"
printf 'id = "banc-photo"\nversion = "1.0.0"\ntitle = "Banc photo"\n' >"$src/pack.toml"
printf '+++\ntitle = "Photos"\nsummary = "Des photos."\n+++\nDes photos.\n' >"$src/themes/banc-photos.md"
printf '+++\ntitle = "Grande photo"\ntheme = "banc-photos"\nlevel = "debutant"\nduration = 5\nsummary = "Une photo."\n+++\n## Regardez\n![Une grande photo](../images/photo.png)\n' \
  >"$src/tutorials/banc-photo.md"
{ printf '\x89PNG\r\n\x1a\n'; head -c $((BIG_MB * 1024 * 1024)) /dev/urandom; } >"$src/images/photo.png"
"$KIT" pack build "$src" --out "$WORK/photo.kitpack" >/dev/null
"$KIT" --data-dir "$WORK/data" pack import "$WORK/photo.kitpack" --allow-untrusted >/dev/null 2>&1
start_kit "$WORK/data" "$WORK/kit.log"
RSS_IDLE="$(status_kb "$KIT_PID" VmRSS)"

# Every starter tutorial's file: "bytes seconds" per line. Each must be a download.
echo "take-home files of the starter tutorials…" >&2
for md in "$ROOT"/content/starter/tutorials/*.md; do
  slug="$(basename "$md" .md)"
  curl -sf -D "$WORK/head" -o "$WORK/file.html" -w '%{size_download} %{time_total}\n' \
    "$KIT_URL/tutoriels/$slug/emporter" >>"$WORK/files"
  grep -qi "^content-disposition: attachment; filename=\"$slug.html\"" "$WORK/head" \
    || { echo "$slug: not a download" >&2; exit 1; }
  if grep -q '<script' "$WORK/file.html"; then echo "$slug: has a script" >&2; exit 1; fi
done
COUNT="$(wc -l <"$WORK/files")"
kb() { awk '{ printf "%.1f", $1 / 1024 }'; }
MAX_B="$(cut -d' ' -f1 "$WORK/files" | sort -n | tail -n1)"
MED_B="$(cut -d' ' -f1 "$WORK/files" | median)"
MIN_B="$(cut -d' ' -f1 "$WORK/files" | sort -n | head -n1)"
MED_MS="$(awk '{ print $2 * 1000 }' "$WORK/files" | median)"
MAX_MS="$(awk '{ print $2 * 1000 }' "$WORK/files" | sort -g | tail -n1)"
RSS_FILES="$(status_kb "$KIT_PID" VmHWM)"

# The tutorial with the big photo: a page that says so, not the file.
echo "a tutorial with a $BIG_MB MB photo…" >&2
read -r REFUSE_CODE REFUSE_BYTES REFUSE_S < <(curl -s -D "$WORK/refuse-head" -o "$WORK/refuse.html" \
  -w '%{http_code} %{size_download} %{time_total}\n' "$KIT_URL/tutoriels/banc-photo/emporter")
REFUSE_MS="$(awk -v s="$REFUSE_S" 'BEGIN { printf "%.1f", s * 1000 }')"
REFUSED=0
if [ "$REFUSE_CODE" = 200 ] && ! grep -qi '^content-disposition' "$WORK/refuse-head" \
  && grep -q 'trop grand' "$WORK/refuse.html"; then REFUSED=1; fi
RSS_PEAK="$(status_kb "$KIT_PID" VmHWM)"
# Had the photo been read, the peak would have grown by its size at least.
NOT_READ="$(le "$RSS_PEAK" $((RSS_FILES + BIG_MB * 1024 / 2)))"

cat <<EOF

### bench-takehome.sh — $(date -u +%Y-%m-%dT%H:%MZ)

Machine: $(machine_line) (load before: $LOAD_BEFORE). Profile \`$PROFILE\`; library: the
starter pack and one pack whose tutorial shows a $BIG_MB MB photo. \`curl\` asks
\`/tutoriels/SLUG/emporter\` once for each of the $COUNT starter tutorials, one after the other.

| measure | value | target | verdict |
| --- | --- | --- | --- |
| take-home file of a starter tutorial: max | $(echo "$MAX_B" | kb) KB ($MAX_B B) | ≤ 150 KB | $(verdict "$(le "$MAX_B" 153600)") |
| … median (min) | $(echo "$MED_B" | kb) KB ($(echo "$MIN_B" | kb) KB) | — | — |
| time to make and send one: median / max | $MED_MS / $MAX_MS ms | — | — |
| tutorial with a $BIG_MB MB photo | $REFUSE_CODE, a $(echo "$REFUSE_BYTES" | kb) KB page, in $REFUSE_MS ms | refused politely, no file | $(verdict "$REFUSED") |
| kit RSS: idle, peak after the $COUNT files, peak after the refusal | $(mb "$RSS_IDLE") / $(mb "$RSS_FILES") / $(mb "$RSS_PEAK") MB | the photo never read (peak grows < $((BIG_MB / 2)) MB) | $(verdict "$NOT_READ") |

Load after: $(cut -d' ' -f1-3 /proc/loadavg).
EOF
