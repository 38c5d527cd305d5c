-- Delete a node: its hash and every index entry.
--
-- KEYS[1]  node key
-- KEYS[2]  pk index          KEYS[3]  cpu_mem index     KEYS[4]  gpu_mem index
-- KEYS[5]  last_seen index   KEYS[6]  current_job_id index
-- ARGV[1]  generation index stem (followed by the hardware ID)
-- ARGV[2]  pk
-- ARGV[3]  optional: delete only when last_seen is below this many milliseconds
--          since the Unix epoch, so a node that sent a heartbeat after the
--          caller chose it is kept; "" deletes unconditionally
--
-- Returns 1, or 0 when the node does not exist or was seen since ARGV[3]. A damaged
-- hash (a field missing or not a number) is deleted unconditionally, but never
-- with ARGV[3]: its last_seen cannot be trusted.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local values = redis.call('HMGET', KEYS[1], 'hardware_generation', 'last_seen')
local generation = values[1]
if ARGV[3] and ARGV[3] ~= '' then
  local last_seen = tonumber(values[2])
  if not last_seen or last_seen >= tonumber(ARGV[3]) then
    return 0
  end
end
redis.call('DEL', KEYS[1])
for i = 2, 6 do
  redis.call('ZREM', KEYS[i], ARGV[2])
end
if generation then
  redis.call('ZREM', ARGV[1] .. generation, ARGV[2])
end
return 1
