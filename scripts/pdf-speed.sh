#!/bin/sh
# PDFs per second: `nianbao generate --pdf` (one LibreOffice run for all the
# inputs given) on 1 input and on N synthetic inputs (default 100), DOCX +
# XLSX + PDF written; wall time from /usr/bin/time. Uses the binary of
# $NIANBAO (default: target/debug/nianbao, built here; the conversion is
# LibreOffice's time, not ours).
#   scripts/pdf-speed.sh          # 1 and 100
#   scripts/pdf-speed.sh 1 20 100
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
for n in "$@"; do
  in="$WORK/in-$n"
  "$NIANBAO" sample-inputs "$n" "$in" >/dev/null
  /usr/bin/time -f "%e" -o "$WORK/time-$n" \
    "$NIANBAO" generate --pdf -o "$WORK/out-$n" "$in"/* >"$WORK/log-$n" 2>&1
  wall=$(cat "$WORK/time-$n")
  pdfs=$(find "$WORK/out-$n" -name '*.pdf' | wc -l)
  echo "N=$n: $pdfs PDFs in $wall s: $(echo "$pdfs $wall" | awk '{printf "%.2f", $1 / $2}') PDF/s"
done
rm -rf "$WORK"
