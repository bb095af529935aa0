#!/bin/sh
# Load test of `nianbao serve` on loopback with wrk (Debian package `wrk`).
#   scripts/load.sh                  # 3 rounds of 10 s per phase
#   ROUNDS=1 DURATION=5s scripts/load.sh
# Each round starts the release binary on a free loopback port and runs:
#   1. render: POST inputs/butaji-2024.toml to /api/render?format=zip,
#      CONNS (16) connections;
#   2. check: the same body to /api/check, CONNS connections;
#   3. overload: render again with OVERLOAD (160) connections, about 10x the
#      sustainable load, with a probe (curl, one request at a time) timing
#      the 503s meanwhile;
# then asks /healthz, stops the server with SIGTERM and reports its exit
# status and peak RSS (VmHWM). The Lua script (scripts/load.lua) counts the
# answers: 2xx, 503 and any other status; wrk counts socket errors.
# Measure when nothing else runs (no cargo or rustc): the machine has 2 cores
# and wrk runs on them too.
set -eu
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-16}"
OVERLOAD="${OVERLOAD:-160}"
THREADS="${THREADS:-2}"
BODY="${LOAD_BODY:-inputs/butaji-2024.toml}"
export LOAD_BODY="$BODY"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
cargo build --release --quiet --bin nianbao
BIN="$CARGO_TARGET_DIR/release/nianbao"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/nianbao-load.XXXXXX")"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts the server and sets PID and ADDR (host:port from its first line).
start() {
  "$BIN" serve --addr 127.0.0.1:0 2>"$WORK/server.log" &
  PID=$!
  i=0
  ADDR=""
  while [ -z "$ADDR" ]; do
    i=$((i + 1))
    [ "$i" -le 100 ] || { echo "the server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
    ADDR="$(sed -n '1s|^nianbao serve: http://||p' "$WORK/server.log")"
  done
}

# Samples VmRSS every 0.2 s into $WORK/rss while the server lives.
sample_rss() {
  while [ -r "/proc/$PID/status" ]; do
    awk '/^VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null >>"$WORK/rss" || true
    sleep 0.2
  done
}

# wrk with the Lua script: prints its LOAD line.
load() { # name connections path
  wrk -t"$THREADS" -c"$2" -d"$DURATION" --timeout 10s -s scripts/load.lua "http://$ADDR$3" >"$WORK/wrk" 2>&1 ||
    { cat "$WORK/wrk" >&2; exit 1; }
  printf '  %-8s %4s conns  %s\n' "$1" "$2" "$(sed -n 's/^LOAD //p' "$WORK/wrk")"
}

# One request at a time during the overload (until wrk ends, at most 100):
# the latency of the 503s.
probe() {
  sleep 2
  n=0
  while [ "$n" -lt 100 ] && [ ! -e "$WORK/overload-done" ]; do
    n=$((n + 1))
    curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_total}\n' \
      -H 'Content-Type: application/toml' --data-binary "@$BODY" \
      "http://$ADDR/api/render?format=zip" >>"$WORK/probe" || echo "000 0" >>"$WORK/probe"
  done
}

echo "nianbao serve under wrk: $(nproc) cores, $DURATION per phase, $BODY"
round=0
while [ "$round" -lt "$ROUNDS" ]; do
  round=$((round + 1))
  : >"$WORK/rss"
  : >"$WORK/probe"
  start
  sample_rss &
  echo "round $round (server at $ADDR)"
  load render "$CONNS" "/api/render?format=zip"
  load check "$CONNS" "/api/check"
  probe &
  PROBE=$!
  rm -f "$WORK/overload-done"
  load overload "$OVERLOAD" "/api/render?format=zip"
  touch "$WORK/overload-done"
  wait "$PROBE"
  sort -n -k2 "$WORK/probe" | awk '$1 == 503 {t[++n] = $2 * 1000}
    $1 != 503 {other[$1]++}
    END {
      line = sprintf("  probe    %d of %d answered 503", n, NR)
      if (n > 0) line = line sprintf(", their latency p50 %.1f ms, p90 %.1f ms, max %.1f ms", t[int((n + 1) / 2)], t[int(n * 0.9) > 0 ? int(n * 0.9) : 1], t[n])
      for (s in other) line = line sprintf("; %d answered %s", other[s], s)
      print line
    }'
  health="$(curl -s --max-time 5 "http://$ADDR/healthz" || echo "no answer")"
  peak_sampled="$(sort -n "$WORK/rss" | tail -n 1)"
  peak="$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")"
  kill -TERM "$PID"
  status=0
  wait "$PID" || status=$?
  PID=""
  wait
  echo "  server   healthz after the load: $health; peak RSS $((peak / 1024)) MB (VmHWM; sampled VmRSS max $((peak_sampled / 1024)) MB); exit status after SIGTERM: $status"
done
