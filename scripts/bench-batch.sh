#!/bin/sh
# End-to-end batch benchmark of the release binary: N synthetic agencies,
# 2 jobs, wall time and peak RSS from /usr/bin/time.
#   scripts/bench-batch.sh            # N = 1000 and 5000
#   scripts/bench-batch.sh 1000 20000
# Inputs are written first (not timed). Each run writes into a new folder and
# all folders are removed at the end only: ext4 creates files slowly for
# ~30 s after thousands were deleted, which would time the cleanup instead.
set -eu
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/nianbao"
# Always a folder of our own inside BENCH_DIR: it is deleted.
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}}/nianbao-bench-cli"
rm -rf "$WORK"
mkdir -p "$WORK"
[ $# -gt 0 ] || set -- 1000 5000
i=0
for n in "$@"; do
  i=$((i + 1))
  in="$WORK/in-$i-$n"
  out="$WORK/out-$i-$n"
  "$BIN" sample-inputs "$n" "$in" >/dev/null
  status=0
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time-$i" \
    "$BIN" batch "$in" -o "$out" --jobs 2 >"$WORK/log-$i" 2>&1 || status=$?
  read -r wall rss user sys <"$WORK/time-$i"
  echo "N=$n  wall ${wall} s  peak RSS $(awk "BEGIN { printf \"%.1f\", $rss / 1024 }") MB  CPU ${user} s user + ${sys} s system  exit $status  $(tail -n 1 "$WORK/log-$i")"
done
rm -rf "$WORK"
