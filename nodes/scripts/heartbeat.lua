-- Record a heartbeat: refresh last_seen and, when given, current_job_id. Writes
-- nothing else, so a beat costs two or three small commands.
--
-- KEYS[1]  node key
-- KEYS[2]  last_seen index   KEYS[3]  current_job_id index
-- ARGV[1]  pk
-- ARGV[2]  last_seen in milliseconds since the Unix epoch
-- ARGV[3]  current_job_id: "" leaves it, "null" clears it, digits set it
--
-- Returns 1, or 0 when the node does not exist (nothing is written).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'last_seen', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if ARGV[3] == 'null' then
  redis.call('HDEL', KEYS[1], 'current_job_id')
  redis.call('ZREM', KEYS[3], ARGV[1])
elseif ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'current_job_id', ARGV[3])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
end
return 1
