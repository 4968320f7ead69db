-- wrk's script for bench/job_service.py: the request from the environment (CE_WRK_METHOD,
-- CE_WRK_BODY, CE_WRK_TOKEN), and at the end one JSON line with the counts and latency
-- percentiles (microseconds) that the benchmark reads.
wrk.method = os.getenv("CE_WRK_METHOD") or "GET"
local body = os.getenv("CE_WRK_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
end
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("CE_WRK_TOKEN") or "")

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
