-- Compare one node's hash with its index entries and, in repair mode, make the
-- indexes agree with the hash. The consistency check calls it for each pk that
-- its batched reads found suspect, so a write that ran between those reads is
-- not reported: this script sees the hash and the indexes at one moment.
--
-- KEYS[1]  node key
-- KEYS[2]  pk index          KEYS[3]  cpu_mem index     KEYS[4]  gpu_mem index
-- KEYS[5]  last_seen index   KEYS[6]  current_job_id index
-- ARGV[1]  generation index stem (followed by the hardware ID)
-- ARGV[2]  pk
-- ARGV[3]  "repair" to fix what disagrees, anything else only to report it
-- ARGV[4]  the catalog's hardware IDs, comma-separated with a comma at each end
-- ARGV[5..] hardware IDs whose generation index must not list the pk unless it is
--           the node's own generation
--
-- Returns an array of problem descriptions, empty when all agree. A damaged hash
-- (a required field missing, a non-integer where an integer belongs, or a hardware
-- ID outside the catalog) is reported as not repairable and left alone, with its
-- index entries, because they cannot be derived from it.
local pk = ARGV[2]
local repair = ARGV[3] == 'repair'
local problems = {}
local names = {'index', 'cpu_mem', 'gpu_mem', 'driver_version', 'hardware_generation',
  'last_seen', 'current_job_id'}
local fields = redis.call('HMGET', KEYS[1], unpack(names))
local exists = redis.call('EXISTS', KEYS[1]) == 1
if exists then
  for i = 1, 6 do
    if not fields[i] then
      table.insert(problems, 'hash lacks ' .. names[i] .. '; not repairable')
    end
  end
  for _, i in ipairs({1, 2, 3, 6, 7}) do
    if fields[i] and not string.match(fields[i], '^%-?%d+$') then
      table.insert(problems, names[i] .. ' ' .. string.format('%q', fields[i]:sub(1, 40)) ..
        ' is not an integer; not repairable')
    end
  end
  local generation = fields[5]
  if generation and not string.find(ARGV[4], ',' .. generation .. ',', 1, true) then
    table.insert(problems, 'hardware_generation ' .. string.format('%q', generation:sub(1, 40)) ..
      ' is not in the hardware catalog; not repairable')
  end
  if #problems > 0 then
    return problems
  end
end

names = {'pk', 'cpu_mem', 'gpu_mem', 'last_seen', 'current_job_id'}
local expected = {false, false, false, false, false}
if exists then
  expected = {pk, fields[2], fields[3], fields[6], fields[7] or false}
end
for i = 1, 5 do
  local index = KEYS[i + 1]
  local actual = redis.call('ZSCORE', index, pk)
  local want = expected[i]
  if want and (not actual or tonumber(actual) ~= tonumber(want)) then
    table.insert(problems, names[i] .. ' index score ' .. tostring(actual or 'none') ..
      ', expected ' .. want)
    if repair then
      redis.call('ZADD', index, want, pk)
    end
  elseif not want and actual then
    if exists then
      table.insert(problems, names[i] .. ' index has an entry, but the node has no value')
    else
      table.insert(problems, names[i] .. ' index has an entry, but no node hash')
    end
    if repair then
      redis.call('ZREM', index, pk)
    end
  end
end

local own = exists and fields[5] or nil
if own and not redis.call('ZSCORE', ARGV[1] .. own, pk) then
  table.insert(problems, 'missing from generation index ' .. own)
  if repair then
    redis.call('ZADD', ARGV[1] .. own, pk, pk)
  end
end
for i = 5, #ARGV do
  local generation = ARGV[i]
  if generation ~= own and redis.call('ZSCORE', ARGV[1] .. generation, pk) then
    table.insert(problems, 'listed in generation index ' .. generation ..
      ', but the node is ' .. tostring(own or 'deleted'))
    if repair then
      redis.call('ZREM', ARGV[1] .. generation, pk)
    end
  end
end
return problems
