-- POSTs check-ins (or framework-floor rows) for bench/ingest.py.
--   wrk ... -s bench/lua/post.lua URL -- DATAFILE INTERVAL_MS TAG MAX_REQUESTS
-- DATAFILE: line 1 the path, line 2 the JSON body with %PERSON% in it, then "token T" and
-- "person ID" lines. Every request carries a fresh Idempotency-Key (TAG-thread-n), also put in
-- place of %KEY% in the body.
-- INTERVAL_MS > 0 paces each wrk thread to one request per interval (delay()); the latency wrk
-- reports is then closed-loop: a slow answer delays the next request instead of queueing it.
-- The summary goes to the JSON file named by BENCH_WRK_OUT.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")

local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1]))
  path = f:read("*l")
  body_template = f:read("*l")
  tokens, persons = {}, {}
  for line in f:lines() do
    local kind, value = line:match("^(%a+) (.+)$")
    if kind == "token" then
      table.insert(tokens, value)
    elseif kind == "person" then
      table.insert(persons, value)
    end
  end
  f:close()
  interval = tonumber(args[2]) or 0
  tag = args[3] or "run"
  max_requests = tonumber(args[4]) or 0
  n, bad, ok = 0, 0, 0
  bad_status = ""
  next_at = 0
end

function delay()
  if interval <= 0 then
    return 0
  end
  local now = now_ms()
  local slot = math.max(next_at, now)
  next_at = slot + interval
  return slot - now
end

function request()
  n = n + 1
  if max_requests > 0 and n > max_requests then
    wrk.thread:stop()
  end
  local person = persons[(n * 7 + id * 13) % #persons + 1]
  local key = tag .. "-" .. id .. "-" .. n
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }
  if #tokens > 0 then
    -- Threads start a quarter of the tokens apart, so no two requests in flight lock one person.
    local spread = math.floor(#tokens / 4)
    headers["Authorization"] = "Bearer " .. tokens[(n + id * spread) % #tokens + 1]
  end
  -- %KEY% in the body: the request's key (a batch's items add their own suffixes to it).
  local body = body_template:gsub("%%PERSON%%", person):gsub("%%KEY%%", key)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    bad_status = tostring(status)
  end
end

function done(summary, latency, requests)
  local bad_total, ok_total, statuses = 0, 0, ""
  for _, t in ipairs(threads) do
    bad_total = bad_total + (t:get("bad") or 0)
    ok_total = ok_total + (t:get("ok") or 0)
    statuses = statuses .. (t:get("bad_status") or "") .. " "
  end
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  out:write(string.format(
    '{"requests": %d, "duration_s": %.3f, "ok": %d, "non2xx": %d, "bad_statuses": "%s", ' ..
    '"socket_errors": %d, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"mean_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, ok_total, bad_total, statuses,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
  out:close()
end
