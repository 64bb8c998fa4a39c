-- Signed inbound texts for the generic JSON gateway's webhook (bench/rollcalls.py).
--   wrk ... -s bench/lua/hook.lua URL -- DATAFILE TAG
-- DATAFILE: line 1 the webhook secret, then one sender number a line. Each request is a new
-- text (a fresh gateway id, TAG-thread-n) from the next sender, saying SAFE, signed as the
-- gateway signs it: X-Salama-Timestamp (Unix seconds) and X-Salama-Signature, the hex
-- HMAC-SHA256 under the secret over "<timestamp>.<body>" (OpenSSL's libcrypto through the FFI).
-- The summary goes to the JSON file named by BENCH_WRK_OUT.
local ffi = require("ffi")
ffi.cdef [[
typedef struct env_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
]]
local crypto = ffi.load("crypto")
local md = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")

local function hmac_hex(key, data)
  crypto.HMAC(crypto.EVP_sha256(), key, #key, data, #data, md, md_len)
  local out = {}
  for i = 0, md_len[0] - 1 do
    out[#out + 1] = string.format("%02x", md[i])
  end
  return table.concat(out)
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
  secret = f:read("*l")
  senders = {}
  for line in f:lines() do
    if #line > 0 then
      table.insert(senders, line)
    end
  end
  f:close()
  tag = args[2] or "run"
  n, bad, ok = 0, 0, 0
  bad_status = ""
end

function request()
  n = n + 1
  -- Threads start half the senders apart: no two requests in flight lock one person.
  local sender = senders[(n + id * math.floor(#senders / 2)) % #senders + 1]
  local body = string.format('{"id": "%s-%d-%d", "from": "%s", "text": "SAFE"}', tag, id, n, sender)
  local stamp = tostring(os.time())
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Salama-Timestamp"] = stamp,
    ["X-Salama-Signature"] = hmac_hex(secret, stamp .. "." .. body),
  }
  return wrk.format("POST", nil, headers, body)
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
