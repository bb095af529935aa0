#!/bin/sh
# PDFs per second: `nianbao generate --pdf` (one LibreOffice run per core
# for all the inputs given) on 1 input and on N synthetic inputs (default
# 100), DOCX + XLSX + PDF written, then `nianbao batch --pdf` of the same
# inputs (also the summary, the check report and the manifest); wall time
# from /usr/bin/time. Last the service: `nianbao serve` on loopback, one
# `format=pdf` request (LibreOffice's first start), one more, then $SERVE_N
# (default 16, the queue's size) at once with curl. Uses the binary of
# $NIANBAO (default: target/debug/nianbao, built here; the conversion is
# LibreOffice's time, not ours). Run from the repository's root.
#   scripts/pdf-speed.sh          # 1 and 100
#   scripts/pdf-speed.sh 1 20 100
#   NIANBAO=target/release/nianbao SERVE_N=32 scripts/pdf-speed.sh 100
set -eu
if [ -z "${NIANBAO:-}" ]; then
  cargo build --quiet
  NIANBAO=target/debug/nianbao
fi
WORK="${TMPDIR:-/tmp}/nianbao-pdf-speed"
rm -rf "$WORK"
mkdir -p "$WORK"
[ $# -gt 0 ] || set -- 1 100
soffice --version
rate() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }
for n in "$@"; do
  in="$WORK/in-$n"
  "$NIANBAO" sample-inputs "$n" "$in" >/dev/null
  /usr/bin/time -f "%e" -o "$WORK/time-$n" \
    "$NIANBAO" generate --pdf -o "$WORK/out-$n" "$in"/* >"$WORK/log-$n" 2>&1
  wall=$(cat "$WORK/time-$n")
  pdfs=$(find "$WORK/out-$n" -name '*.pdf' | wc -l)
  echo "generate N=$n: $pdfs PDFs in $wall s: $(rate "$pdfs" "$wall") PDF/s"
  /usr/bin/time -f "%e" -o "$WORK/time-batch-$n" \
    "$NIANBAO" batch --pdf -o "$WORK/batch-$n" "$in" >"$WORK/log-batch-$n" 2>&1
  wall=$(cat "$WORK/time-batch-$n")
  pdfs=$(find "$WORK/batch-$n" -name '*.pdf' | wc -l)
  echo "batch N=$n: $pdfs PDFs in $wall s: $(rate "$pdfs" "$wall") PDF/s"
done

SERVE_N="${SERVE_N:-16}"
"$NIANBAO" serve --addr 127.0.0.1:0 2>"$WORK/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
addr=""
for _ in $(seq 100); do
  addr=$(sed -n 's|^nianbao serve: http://||p' "$WORK/serve.log")
  [ -n "$addr" ] && break
  sleep 0.1
done
one() {
  curl -s -o "$WORK/r-$1.pdf" -w '%{http_code}\n' -H 'content-type: application/toml' \
    --data-binary @inputs/butaji-2024.toml \
    "http://$addr/api/render?format=pdf" >"$WORK/code-$1"
}
seconds() { echo "$1 $2" | awk '{printf "%.2f", $2 - $1}'; }
for what in first second; do
  start=$(date +%s.%N)
  one "$what"
  end=$(date +%s.%N)
  echo "serve, $what request: HTTP $(cat "$WORK/code-$what") in $(seconds "$start" "$end") s"
done
start=$(date +%s.%N)
pids=""
i=0
while [ $i -lt "$SERVE_N" ]; do
  one "many-$i" &
  pids="$pids $!"
  i=$((i + 1))
done
for p in $pids; do wait "$p" || true; done
end=$(date +%s.%N)
ok=$(cat "$WORK"/code-many-* | grep -c '^200$' || true)
wall=$(seconds "$start" "$end")
echo "serve, $SERVE_N at once: $ok PDFs (HTTP 200) in $wall s: $(rate "$ok" "$wall") PDF/s"
kill $server 2>/dev/null || true
rm -rf "$WORK"
