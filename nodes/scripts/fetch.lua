-- Read many nodes in one call and return them as one string, because one bulk
-- reply costs the client far less to parse than seven values per node.
--
-- KEYS[1]  pk index, which the script does not read: it routes the call to the
--          registry's hash slot
-- ARGV[1]  node key stem (the node key is the stem followed by the pk)
-- ARGV[2]  pks separated by commas; store.py sends at most FETCH_CHUNK of them
--
-- Returns one line per pk, in ARGV[2]'s order, joined by "\n": the node's fields
-- in the order of NODE_FIELDS in store.py joined by "\t", with "" for a null
-- current_job_id, or an empty line when the node does not exist. A damaged hash
-- that lacks some fields still gets a line, so the caller can report it. Neither
-- separator can occur in a value: the write scripts store only digits, hardware
-- IDs and printable driver versions.
local call = redis.call
local stem = ARGV[1]
local lines = {}
for pk in string.gmatch(ARGV[2], '%d+') do
  local values = call('HMGET', stem .. pk, 'index', 'cpu_mem', 'gpu_mem',
    'driver_version', 'hardware_generation', 'last_seen', 'current_job_id')
  if values[5] or values[1] or values[2] or values[3] or values[4] or values[6]
      or values[7] then
    lines[#lines + 1] = (values[1] or '') .. '\t' .. (values[2] or '') .. '\t'
      .. (values[3] or '') .. '\t' .. (values[4] or '') .. '\t' .. (values[5] or '')
      .. '\t' .. (values[6] or '') .. '\t' .. (values[7] or '')
  else
    lines[#lines + 1] = ''
  end
end
return table.concat(lines, '\n')
