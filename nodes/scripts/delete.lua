-- Delete a node: its hash and every index entry.
--
-- KEYS[1]  node key
-- KEYS[2]  pk index          KEYS[3]  cpu_mem index     KEYS[4]  gpu_mem index
-- KEYS[5]  last_seen index   KEYS[6]  current_job_id index
-- ARGV[1]  generation index stem (followed by the hardware ID)
-- ARGV[2]  pk
--
-- Returns 1, or 0 when the node does not exist.
local generation = redis.call('HGET', KEYS[1], 'hardware_generation')
if not generation then
  return 0
end
redis.call('DEL', KEYS[1])
for i = 2, 6 do
  redis.call('ZREM', KEYS[i], ARGV[2])
end
redis.call('ZREM', ARGV[1] .. generation, ARGV[2])
return 1
