-- One fixed request, repeated: a list query, a peer URL or a floor route.
--
-- Arguments after "--": METHOD PATH [BODY]
--   BODY is sent as application/json when given and not "-"
package.path = (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua;" .. package.path
local common = require("common")

local prepared

function init(args)
  local method, path, body = args[1], args[2], args[3]
  if body == "-" then
    body = nil
  end
  local extra = body and { ["Content-Type"] = "application/json" } or {}
  prepared = wrk.format(method, path, common.headers(extra), body)
end

-- BENCH_DELAY_MS in the environment, when above 0, is a pause in milliseconds before
-- each request on every connection. It turns wrk's closed loop into an approximately
-- fixed rate of connections / (BENCH_DELAY_MS + latency) requests per millisecond.
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function request()
  return prepared
end

function done(summary, latency, requests)
  common.report(summary, latency)
end
