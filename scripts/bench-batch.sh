#!/bin/sh
# End-to-end batch benchmark of the release binary: N synthetic agencies,
# 2 jobs, wall time and peak RSS from /usr/bin/time.
#   scripts/bench-batch.sh            # N = 1000 and 5000
#   scripts/bench-batch.sh 1000 20000
set -eu
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/nianbao"
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/nianbao-bench-cli}"
mkdir -p "$WORK"
[ $# -gt 0 ] || set -- 1000 5000
for n in "$@"; do
  rm -rf "$WORK/in-$n" "$WORK/out-$n"
  "$BIN" sample-inputs "$n" "$WORK/in-$n" >/dev/null
  status=0
  /usr/bin/time -f "%e %M" -o "$WORK/time-$n" \
    "$BIN" batch "$WORK/in-$n" -o "$WORK/out-$n" --jobs 2 >"$WORK/log-$n" 2>&1 || status=$?
  read -r wall rss <"$WORK/time-$n"
  echo "N=$n  wall ${wall} s  peak RSS $((rss / 1024)) MB  exit $status  $(tail -n 1 "$WORK/log-$n")"
done
