-- Raise the pk counter to at least a given pk, so that create never hands out a
-- pk that a stored node already has. Never lowers it: a lower counter would
-- reuse the pks of deleted nodes.
--
-- KEYS[1]  pk counter
-- ARGV[1]  the largest pk found in the registry
--
-- Returns 1 when the counter was raised, else 0.
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
