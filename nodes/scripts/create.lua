-- Create a node: take the next pk, then write its hash and every index entry.
--
-- KEYS[1]  pk counter
-- KEYS[2]  pk index          KEYS[3]  cpu_mem index
-- KEYS[4]  gpu_mem index     KEYS[5]  last_seen index
-- ARGV[1]  node key stem (the node key is the stem followed by the pk)
-- ARGV[2]  generation index stem (followed by the hardware ID)
-- ARGV[3]  last_seen in milliseconds since the Unix epoch
-- ARGV[4]  index   ARGV[5] cpu_mem   ARGV[6] gpu_mem
-- ARGV[7]  driver_version   ARGV[8] hardware_generation
--
-- Returns the new pk. A pk is never handed out twice, even after deletes, because
-- INCR on the counter is the only source of pks.
local pk = redis.call('INCR', KEYS[1])
local key = ARGV[1] .. pk
if redis.call('EXISTS', key) == 1 then
  return redis.error_reply('PKCOUNTER node ' .. pk .. ' already exists')
end
redis.call('HSET', key,
  'index', ARGV[4], 'cpu_mem', ARGV[5], 'gpu_mem', ARGV[6],
  'driver_version', ARGV[7], 'hardware_generation', ARGV[8], 'last_seen', ARGV[3])
redis.call('ZADD', KEYS[2], pk, pk)
redis.call('ZADD', KEYS[3], ARGV[5], pk)
redis.call('ZADD', KEYS[4], ARGV[6], pk)
redis.call('ZADD', KEYS[5], ARGV[3], pk)
redis.call('ZADD', ARGV[2] .. ARGV[8], pk, pk)
return pk
