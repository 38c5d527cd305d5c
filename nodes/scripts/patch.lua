-- Change some fields of an existing node (PATCH) and refresh last_seen.
--
-- KEYS[1]  node key
-- KEYS[2]  cpu_mem index     KEYS[3]  gpu_mem index
-- KEYS[4]  last_seen index   KEYS[5]  current_job_id index
-- ARGV[1]  generation index stem (followed by the hardware ID)
-- ARGV[2]  pk
-- ARGV[3]  last_seen in milliseconds since the Unix epoch
-- ARGV[4]  CPU-only hardware IDs, each followed by a comma: ",cpu,"
-- ARGV[5]  current_job_id: "" leaves it, "null" clears it, digits set it
-- ARGV[6..] pairs of field name and value, among index, cpu_mem, gpu_mem,
--           driver_version and hardware_generation
--
-- Returns false when the node does not exist (nothing is written), an error reply
-- starting with CPUONLY when the merged node breaks the CPU-only rule (nothing is
-- written), else the node's fields in the order of NODE_FIELDS in store.py.
local key = KEYS[1]
local pk = ARGV[2]
local old = redis.call('HMGET', key, 'index', 'gpu_mem', 'hardware_generation')
if not old[3] then
  return false
end
local new = {index = old[1], gpu_mem = old[2], hardware_generation = old[3]}
for i = 6, #ARGV, 2 do
  new[ARGV[i]] = ARGV[i + 1]
end
if string.find(ARGV[4], ',' .. new.hardware_generation .. ',', 1, true) and
    (tonumber(new.index) ~= 0 or tonumber(new.gpu_mem) ~= 0) then
  return redis.error_reply('CPUONLY hardware_generation ' .. new.hardware_generation ..
    ' is CPU-only, so index and gpu_mem must be 0; got index ' .. new.index ..
    ' and gpu_mem ' .. new.gpu_mem)
end
for i = 6, #ARGV, 2 do
  local field, value = ARGV[i], ARGV[i + 1]
  redis.call('HSET', key, field, value)
  if field == 'cpu_mem' then
    redis.call('ZADD', KEYS[2], value, pk)
  elseif field == 'gpu_mem' then
    redis.call('ZADD', KEYS[3], value, pk)
  elseif field == 'hardware_generation' and value ~= old[3] then
    redis.call('ZREM', ARGV[1] .. old[3], pk)
    redis.call('ZADD', ARGV[1] .. value, pk, pk)
  end
end
redis.call('HSET', key, 'last_seen', ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[3], pk)
if ARGV[5] == 'null' then
  redis.call('HDEL', key, 'current_job_id')
  redis.call('ZREM', KEYS[5], pk)
elseif ARGV[5] ~= '' then
  redis.call('HSET', key, 'current_job_id', ARGV[5])
  redis.call('ZADD', KEYS[5], ARGV[5], pk)
end
return redis.call('HMGET', key, 'index', 'cpu_mem', 'gpu_mem', 'driver_version',
  'hardware_generation', 'last_seen', 'current_job_id')
