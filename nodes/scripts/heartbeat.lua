-- Record a heartbeat: refresh last_seen and, when given, current_job_id. Writes
-- nothing else, so a beat costs two or three small commands.
--
-- KEYS[1]  node key
-- KEYS[2]  last_seen index   KEYS[3]  current_job_id index
-- ARGV[1]  pk
-- ARGV[2]  last_seen in milliseconds since the Unix epoch
-- ARGV[3]  current_job_id: "" leaves it, "null" clears it, digits set it
-- ARGV[4]  "fields" to return the node as PATCH does, "" to return 1
--
-- Returns 0 (false with "fields") when the node does not exist, and then writes
-- nothing: the EXISTS check and the writes run in one script, so a heartbeat that
-- races a delete never recreates the node. Otherwise returns 1, or with "fields"
-- the node's fields in the order of NODE_FIELDS in store.py.
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[4] == 'fields' then
    return false
  end
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
if ARGV[4] == 'fields' then
  return redis.call('HMGET', KEYS[1], 'index', 'cpu_mem', 'gpu_mem', 'driver_version',
    'hardware_generation', 'last_seen', 'current_job_id')
end
return 1
