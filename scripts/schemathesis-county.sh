#!/bin/sh
# schemathesis against the county server, authenticated: initialises a fresh
# data folder (nianbao admin init; three agencies with a clerk each from a CSV),
# starts the release binary with --data on a free loopback port, and runs
# every check on every operation tagged `county` in /api/openapi.json as the
# county administrator (the session cookie and the X-CSRF-Token header are
# set by the auth provider of scripts/schemathesis_county_hooks.py), then
# stops the server and removes the folder.
#   scripts/schemathesis-county.sh                # 100 examples per operation
#   MAX_EXAMPLES=20 scripts/schemathesis-county.sh
#   SCHEMATHESIS=/opt/st312/bin/schemathesis scripts/schemathesis-county.sh
# Config (scripts/schemathesis-county.toml): the refusals the document
# describes in words (a duplicate name, a report of another agency, …) are
# accepted answers to schema-valid requests.
set -eu
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
MAX_EXAMPLES="${MAX_EXAMPLES:-100}"
SEED="${SEED:-1}"
SCHEMATHESIS="${SCHEMATHESIS:-schemathesis}"
command -v "$SCHEMATHESIS" >/dev/null || { echo "schemathesis is missing: pip install schemathesis" >&2; exit 2; }
cargo build --release --quiet --bin nianbao
NIANBAO="$CARGO_TARGET_DIR/release/nianbao"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/nianbao-schemathesis-county.XXXXXX")"
LOG="$WORK/server.log"
PID=""
trap '[ -z "$PID" ] || { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }; [ -z "${KEEP_LOG:-}" ] || cp "$LOG" "$KEEP_LOG"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

"$NIANBAO" admin init --data "$WORK/data" --county 测试县 >"$WORK/init.txt"
PASSWORD="$(sed -n 's/^一次性密码：\([^（]*\)（.*/\1/p' "$WORK/init.txt")"
[ -n "$PASSWORD" ] || { echo "no one-time password in the output of admin init" >&2; cat "$WORK/init.txt" >&2; exit 1; }
printf '机关全称,简称,所属地区,账号\n潢川县卜塔集镇人民政府,卜塔集镇,潢川县,butaji\n测试县统计局,统计局,测试县,tongji\n测试县教育局,教育局,测试县,jiaoyu\n' >"$WORK/agencies.csv"
"$NIANBAO" admin import-agencies --data "$WORK/data" "$WORK/agencies.csv" >/dev/null

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

status=0
NIANBAO_URL="http://$ADDR" NIANBAO_ADMIN_PASSWORD="$PASSWORD" PYTHONDONTWRITEBYTECODE=1 \
PYTHONPATH="scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_county_hooks \
  "$SCHEMATHESIS" --config-file scripts/schemathesis-county.toml run "http://$ADDR/api/openapi.json" \
  --include-tag county --checks all --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 2 \
  --request-timeout 20 --no-color || status=$?
# The server must have stayed up, and no request may have been answered 5xx
# other than the designed 503.
if ! curl -sf --max-time 5 "http://$ADDR/healthz" >/dev/null; then
  echo "the server stopped answering" >&2
  status=1
fi
errors="$(awk '$3 ~ /^5/ && $3 != 503' "$LOG" | wc -l)"
echo "server log: $(grep -c 'ms$' "$LOG") requests, $errors answered 5xx other than 503"
[ "$errors" -eq 0 ] || { awk '$3 ~ /^5/ && $3 != 503 {print $1, $2, $3}' "$LOG" | sort | uniq -c | sort -rn | head -20 >&2; status=1; }
exit "$status"
