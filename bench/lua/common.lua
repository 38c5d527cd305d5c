-- Helpers shared by the wrk scripts of bench/: request headers and the JSON report.
--
-- wrk.format() uses the headers it is given instead of wrk.headers, so each script
-- starts from a copy of wrk.headers, which contains every -H option, such as an
-- Authorization header.

local common = {}

function common.headers(extra)
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  for name, value in pairs(extra or {}) do
    headers[name] = value
  end
  return headers
end

-- Print one line "BENCH_RESULT {json}" that bench/wrk.py parses. Times are in
-- microseconds, as wrk measures them.
function common.report(summary, latency)
  local errors = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format('"errors_connect":%d', errors.connect),
    string.format('"errors_read":%d', errors.read),
    string.format('"errors_write":%d', errors.write),
    string.format('"errors_status":%d', errors.status),
    string.format('"errors_timeout":%d', errors.timeout),
    string.format('"latency_mean_us":%.1f', latency.mean),
    string.format('"latency_max_us":%d', latency.max),
  }
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    parts[#parts + 1] = string.format('"latency_p%s_us":%d', p, latency:percentile(p))
  end
  io.write("BENCH_RESULT {" .. table.concat(parts, ",") .. "}\n")
end

return common
