# Shared helpers for scripts/bench*.sh and scripts/load.sh (sourced, not run): install tools,
# build the kit, make a generated library, start/stop the kit, read its memory, run wrk.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE="${PROFILE:-release}"
KIT="$ROOT/target/$PROFILE/mednum-kit"
BENCH_PIDS=()

# need CMD PACKAGE: installs the Debian package when the command is missing.
need() {
  command -v "$1" >/dev/null && return 0
  echo "installing $2 (for $1)…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
}

build_kit() {
  echo "building the kit ($PROFILE)…" >&2
  (cd "$ROOT" && cargo build --locked --profile "$PROFILE" -q)
}

# Kills every process a script started (called from its EXIT trap).
cleanup_pids() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}

# make_library DATA_DIR WORK_DIR TUTORIALS THEMES [gen-pack options]: a library holding the
# starter pack and a generated signed pack.
make_library() {
  local data="$1" work="$2" n="$3" themes="$4"
  shift 4
  mkdir -p "$data" "$work"
  python3 "$ROOT/scripts/gen-pack.py" "$work/src" --tutorials "$n" --themes "$themes" "$@"
  "$KIT" key generate --out "$work/banc.key" >/dev/null 2>&1
  "$KIT" --data-dir "$data" trust add "$work/banc.key.pub" >/dev/null 2>&1
  "$KIT" pack build "$work/src" --out "$work/banc.kitpack" --key "$work/banc.key" \
    >"$work/build.log"
  "$KIT" --data-dir "$data" pack import "$work/banc.kitpack" >/dev/null 2>&1
}

# start_kit DATA_DIR LOG [serve options]: starts the kit on a free loopback port; sets
# KIT_PID and KIT_URL once it logs `listening on`.
start_kit() {
  local data="$1" log="$2"
  shift 2
  "$KIT" --data-dir "$data" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
  KIT_PID=$!
  BENCH_PIDS+=("$KIT_PID")
  local _
  for _ in $(seq 1 600); do
    KIT_URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n1)
    [ -n "$KIT_URL" ] && return 0
    kill -0 "$KIT_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "the kit did not start; its log:" >&2
  cat "$log" >&2
  return 1
}

stop_kit() {
  kill "$KIT_PID" 2>/dev/null || true
  wait "$KIT_PID" 2>/dev/null || true
}

# status_kb PID FIELD: a /proc/PID/status field in kB (VmRSS, VmHWM) or a count (Threads).
status_kb() {
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# cpu_ticks PID: user + system clock ticks used so far by PID and its child processes.
cpu_ticks() {
  local p total=0
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# median: of the numbers on stdin, one per line.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# wrk_summary: reads wrk --latency output; prints "req/s p50_ms p99_ms errors".
wrk_summary() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, err }'
}

# wrk_max: reads wrk output; prints the maximum latency in ms.
wrk_max() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
    }
    $1 == "Latency" && !done { printf "%.2f\n", ms($4); done = 1 }'
}

# census PID: "threads fds rss_kb" of the process.
census() { python3 "$ROOT/scripts/bench_tools.py" census "$1"; }

# wait_back_to_idle PID THREADS FDS TRIES PAUSE: waits until the process is back to THREADS
# threads and FDS descriptors (give or take 4), looking TRIES times PAUSE s apart; sets
# BACK_S (seconds taken, or - if never), T_NOW and FD_NOW.
wait_back_to_idle() {
  local i
  BACK_S=-
  for i in $(seq 1 "$4"); do
    read -r T_NOW FD_NOW _ < <(census "$1")
    if [ "$T_NOW" -le $(($2 + 4)) ] && [ "$FD_NOW" -le $(($3 + 4)) ]; then
      BACK_S="$(awk -v i="$i" -v p="$5" 'BEGIN { printf "%.1f", i * p }')"
      return 0
    fi
    sleep "$5"
  done
}

# alternate_rounds N: runs the script's `run_kit` and `run_baseline` N times each, in turn
# first (so that neither always runs on a warmer cache), their lines appended to $WORK/kit
# and $WORK/base.
alternate_rounds() {
  local round
  for round in $(seq 1 "$1"); do
    echo "round $round…" >&2
    if [ $((round % 2)) = 1 ]; then
      run_kit >>"$WORK/kit"
      run_baseline >>"$WORK/base"
    else
      run_baseline >>"$WORK/base"
      run_kit >>"$WORK/kit"
    fi
  done
}

# runs FILE: the first column of $WORK/FILE as "1.2 s, 1.3 s".
runs() { awk '{ printf "%s%s s", (NR > 1 ? ", " : ""), $1 }' "$WORK/$1"; }

# verdict OK?: PASS or MISS.
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi; }

# le A B: 1 when A <= B (floating point).
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }

machine_line() {
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -g | awk '/^Mem:/ { print $2 }') GiB, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
}
