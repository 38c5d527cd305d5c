-- Read the nodes whose pks lie in a score range of the pk index, and their hashes,
-- in one call: the list of every node needs no separate ZRANGEBYSCORE round trip,
-- and no node can be deleted between the index read and the hash read.
--
-- KEYS[1]  pk index
-- ARGV[1]  node key stem (the node key is the stem followed by the pk)
-- ARGV[2]  lowest pk of the range, inclusive
-- ARGV[3]  highest pk of the range, inclusive, or "+inf"
-- ARGV[4]  most index entries to read; store.py sends FETCH_CHUNK
--
-- Returns one line per node in pk order, joined by "\n": the pk, then the fields
-- in the order of NODE_FIELDS in store.py, joined by "\t", with "" for a null
-- current_job_id. An index entry whose hash is missing gives no line; a damaged
-- hash that lacks some fields still gets one, so the caller can report it. When the
-- range held ARGV[4] entries or more, a last line "+" followed by the last pk
-- read tells the caller to read on from there. See fetch.lua for the separators.
local call = redis.call
local stem = ARGV[1]
local limit = tonumber(ARGV[4])
local pks = call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, limit)
local lines = {}
for i = 1, #pks do
  local pk = pks[i]
  local values = call('HMGET', stem .. pk, 'index', 'cpu_mem', 'gpu_mem',
    'driver_version', 'hardware_generation', 'last_seen', 'current_job_id')
  if values[5] or values[1] or values[2] or values[3] or values[4] or values[6]
      or values[7] then
    lines[#lines + 1] = pk .. '\t' .. (values[1] or '') .. '\t'
      .. (values[2] or '') .. '\t' .. (values[3] or '') .. '\t'
      .. (values[4] or '') .. '\t' .. (values[5] or '') .. '\t' .. (values[6] or '')
      .. '\t' .. (values[7] or '')
  end
end
if #pks == limit then
  lines[#lines + 1] = '+' .. pks[#pks]
end
return table.concat(lines, '\n')
