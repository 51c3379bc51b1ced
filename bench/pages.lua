-- wrk script for bench/pages.sh: one request, repeated, as the environment
-- describes it, and the same machine-readable BENCH line as verify.lua
-- with the bytes of the answers besides.
--
--   BENCH_METHOD   GET (default) or POST
--   BENCH_BODY     the request body, sent as is
--   BENCH_CTYPE    its Content-Type
--   BENCH_ACCEPT   the Accept header (default */*): text/html for a page
--
--   BENCH_ACCEPT=text/html wrk -c 16 -t 1 -d 5s --latency -s bench/pages.lua 'http://127.0.0.1:8080/cases?q=...'

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
end
local ctype = os.getenv("BENCH_CTYPE")
if ctype and ctype ~= "" then
  wrk.headers["Content-Type"] = ctype
end
wrk.headers["Accept"] = os.getenv("BENCH_ACCEPT") or "*/*"
wrk.headers["Accept-Language"] = "zh-CN,zh;q=0.9"

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d bytes_per_req=%.0f\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout,
    summary.requests > 0 and summary.bytes / summary.requests or 0))
end
