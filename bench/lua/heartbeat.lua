-- Heartbeats of random nodes: each request picks a pk uniformly from a range.
--
-- Arguments after "--": METHOD PATH_TEMPLATE FIRST_PK LAST_PK [BODY]
--   PATH_TEMPLATE contains "{pk}", e.g. /v1/nodes/{pk}/heartbeat
--   BODY is sent as application/json when given and not "-"
package.path = (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua;" .. package.path
local common = require("common")

local next_thread_id = 1

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

local method, template, first_pk, last_pk, body, headers

function init(args)
  method = args[1]
  template = args[2]
  first_pk = tonumber(args[3])
  last_pk = tonumber(args[4])
  if args[5] and args[5] ~= "-" then
    body = args[5]
  end
  headers = common.headers(body and { ["Content-Type"] = "application/json" } or {})
  math.randomseed(os.time() * 1000 + (thread_id or 0))
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
  local pk = math.random(first_pk, last_pk)
  local path = string.gsub(template, "{pk}", tostring(pk))
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  common.report(summary, latency)
end
