-- wrk script for the batch verification benchmark: every request is a
-- POST /api/v1/verifications/batch of BATCH_SIZE (default 500) checks with
-- distinct certificate numbers, drawn at random from a file of
-- "certificate_no<TAB>name" lines (bench/gencsv -pairs), sent with the
-- client key in API_KEY.
--
--   PAIRS_FILE=pairs.tsv API_KEY=epk_... wrk -c 4 -t 1 -d 20s -s bench/batch.lua http://127.0.0.1:8080
--
-- BODIES (default 16) bodies are built once per thread in init and sent in
-- turn, so that the load generator spends its time sending.

local path = "/api/v1/verifications/batch"
local reqs = {}
local nreqs = 0
local next_req = 0

local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("thread_no", thread_no)
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function init(args)
  local file = os.getenv("PAIRS_FILE")
  local key = os.getenv("API_KEY")
  if not file or file == "" or not key or key == "" then
    error("batch.lua: set PAIRS_FILE and API_KEY")
  end
  local size = tonumber(os.getenv("BATCH_SIZE") or "500")
  local bodies = tonumber(os.getenv("BODIES") or "16")
  local pairs, n = {}, 0
  local f = assert(io.open(file, "r"))
  for line in f:lines() do
    local no, name = line:match("^([^\t]+)\t(.+)$")
    if no then
      n = n + 1
      pairs[n] = { no, name }
    end
  end
  f:close()
  if n < size then
    error("batch.lua: fewer pairs than BATCH_SIZE in " .. file)
  end
  math.randomseed(os.time() + 7919 * (thread_no or 0))
  local headers = { ["Content-Type"] = "application/json", ["X-API-Key"] = key }
  for b = 1, bodies do
    local seen, items, k = {}, {}, 0
    while k < size do
      local p = pairs[math.random(n)]
      if not seen[p[1]] then -- a batch refuses a number given twice
        seen[p[1]] = true
        k = k + 1
        items[k] = '{"certificate_no":' .. json_string(p[1]) .. ',"name":' .. json_string(p[2]) .. '}'
      end
    end
    nreqs = nreqs + 1
    reqs[nreqs] = wrk.format("POST", path, headers, '{"items":[' .. table.concat(items, ",") .. ']}')
  end
end

function request()
  next_req = next_req % nreqs + 1
  return reqs[next_req]
end

-- done prints the same machine-readable line as bench/verify.lua.
function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
