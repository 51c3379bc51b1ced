-- wrk script for the verification load test: every request is a
-- POST /api/v1/verifications with a JSON body for one (certificate_no, name)
-- pair drawn at random from a file of "certificate_no<TAB>name" lines (as
-- bench/gencsv -pairs writes them: mostly registered pairs, some misses).
--
--   PAIRS_FILE=pairs.tsv wrk -c 64 -t 2 -d 20s --latency -s bench/verify.lua http://127.0.0.1:8080
--   wrk ... -s bench/verify.lua http://127.0.0.1:8080 -- pairs.tsv     (a path after -- wins)
--
-- Requests are formatted once per thread in init, so that the load
-- generator spends its time sending, not building strings: the machine is
-- shared with the server under test.

local path = "/api/v1/verifications"
local headers = { ["Content-Type"] = "application/json" }
local reqs = {}
local n = 0

-- setup runs in the main Lua state, once per thread: give each thread its
-- own seed so the threads do not replay the same sequence.
local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("thread_no", thread_no)
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function init(args)
  local file = args[1] or os.getenv("PAIRS_FILE")
  if not file or file == "" then
    error("verify.lua: set PAIRS_FILE or pass the pairs file after --")
  end
  local f = assert(io.open(file, "r"))
  for line in f:lines() do
    local no, name = line:match("^([^\t]+)\t(.+)$")
    if no then
      n = n + 1
      local body = '{"certificate_no":' .. json_string(no) .. ',"name":' .. json_string(name) .. '}'
      reqs[n] = wrk.format("POST", path, headers, body)
    end
  end
  f:close()
  if n == 0 then
    error("verify.lua: no certificate_no<TAB>name lines in " .. file)
  end
  math.randomseed(os.time() + 7919 * (thread_no or 0))
end

function request()
  return reqs[math.random(n)]
end

-- done prints one machine-readable line for bench/verify.sh besides
-- wrk's own report.
function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
