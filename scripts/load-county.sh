#!/bin/sh
# The county server under load (README, "County server"): a fresh data folder
# (nianbao admin init) under target/, the release server on a free loopback
# port with --data, then examples/county_load.rs: N clerks (default 300)
# imported through the API, each saving its draft every 2 s for SECONDS
# (default 300); prints p50/p99/max save latency, errors and the server's RSS
# over time, and exits 1 when a target is missed (p99 < 100 ms, 0 errors,
# flat RSS). Stops the server and removes the folder.
#   scripts/load-county.sh              # 300 clerks, 5 minutes
#   scripts/load-county.sh 300 60       # 300 clerks, 1 minute
# Run it when nothing else is busy (no rustc: `pgrep -a rustc`).
set -eu
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
CLERKS="${1:-300}"
SECONDS_="${2:-300}"
cargo build --release --quiet --bin nianbao --example county_load
NIANBAO="$CARGO_TARGET_DIR/release/nianbao"
mkdir -p "$CARGO_TARGET_DIR/tmp"
# On the disk (not a tmpfs /tmp): every save is fsynced, as in service.
WORK="$(mktemp -d "$CARGO_TARGET_DIR/tmp/load-county.XXXXXX")"
LOG="$WORK/server.log"
PID=""
trap '[ -z "$PID" ] || { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

"$NIANBAO" admin init --data "$WORK/data" --county 负载测试县 >"$WORK/init.txt"
PASSWORD="$(sed -n 's/^一次性密码：\([^（]*\)（.*/\1/p' "$WORK/init.txt")"
[ -n "$PASSWORD" ] || { echo "no one-time password in the output of admin init" >&2; exit 1; }

"$NIANBAO" serve --addr 127.0.0.1:0 --data "$WORK/data" 2>"$LOG" &
PID=$!
ADDR=""
i=0
while [ -z "$ADDR" ]; do
  i=$((i + 1))
  [ "$i" -le 100 ] || { echo "the server did not start" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.1
  ADDR="$(sed -n '1s|^nianbao serve: http://||p' "$LOG")"
done
echo "server: http://$ADDR (pid $PID), data in $WORK/data"
status=0
"$CARGO_TARGET_DIR/release/examples/county_load" --url "http://$ADDR" --password "$PASSWORD" \
  --pid "$PID" --clerks "$CLERKS" --seconds "$SECONDS_" || status=$?
echo "database: $(du -sh "$WORK/data" | cut -f1) after the run"
echo "server log: $(grep -c 'ms$' "$LOG") requests, $(awk '$3 ~ /^5/' "$LOG" | wc -l) answered 5xx"
exit "$status"
