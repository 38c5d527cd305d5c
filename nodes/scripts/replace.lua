-- Replace the five client fields of an existing node (PUT) and refresh last_seen.
-- current_job_id stays as it was.
--
-- KEYS[1]  node key
-- KEYS[2]  cpu_mem index     KEYS[3]  gpu_mem index     KEYS[4]  last_seen index
-- ARGV[1]  generation index stem (followed by the hardware ID)
-- ARGV[2]  pk
-- ARGV[3]  last_seen in milliseconds since the Unix epoch
-- ARGV[4]  index   ARGV[5] cpu_mem   ARGV[6] gpu_mem
-- ARGV[7]  driver_version   ARGV[8] hardware_generation
--
-- Returns false when the node does not exist (nothing is written), else the node's
-- fields in the order of NODE_FIELDS in store.py.
local old_generation = redis.call('HGET', KEYS[1], 'hardware_generation')
if not old_generation then
  return false
end
local pk = ARGV[2]
redis.call('HSET', KEYS[1],
  'index', ARGV[4], 'cpu_mem', ARGV[5], 'gpu_mem', ARGV[6],
  'driver_version', ARGV[7], 'hardware_generation', ARGV[8], 'last_seen', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[5], pk)
redis.call('ZADD', KEYS[3], ARGV[6], pk)
redis.call('ZADD', KEYS[4], ARGV[3], pk)
if old_generation ~= ARGV[8] then
  redis.call('ZREM', ARGV[1] .. old_generation, pk)
  redis.call('ZADD', ARGV[1] .. ARGV[8], pk, pk)
end
return redis.call('HMGET', KEYS[1], 'index', 'cpu_mem', 'gpu_mem', 'driver_version',
  'hardware_generation', 'last_seen', 'current_job_id')
