-- wrk script of scripts/load.sh: POSTs one report (LOAD_BODY, LOAD_TYPE) and
-- counts the answers by kind: 2xx, 503 (the designed refusal when busy) and
-- any other status; wrk itself counts socket errors and timeouts.
local path = os.getenv("LOAD_BODY") or "inputs/butaji-2024.toml"
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = os.getenv("LOAD_TYPE") or "application/toml"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, busy, other = 0, 0, 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 503 then
    busy = busy + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    b = b + t:get("busy")
    x = x + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "LOAD requests=%d rps=%.0f ok=%d busy503=%d other_status=%d socket_errors=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
    summary.requests, summary.requests / (summary.duration / 1e6), o, b, x,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
