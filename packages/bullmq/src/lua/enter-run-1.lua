--[[
  Notes a node run as begun in its job's set of runs (see crash-guard.ts), and finds the
  runs of the job that began and never ended: crashes.
  KEYS[1] runs: set of the job's runs that began and have not ended (JSON entries)
  ARGV[1] this run's entry
  ARGV[2] ttl of the set (ms)
  ARGV[3] max: the count of other entries at which they are returned
  Returns the other entries when there are at least max of them, else an empty list.
]]
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('SCARD', KEYS[1]) - 1 < tonumber(ARGV[3]) then return {} end
local out = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if m ~= ARGV[1] then table.insert(out, m) end
end
return out
