--[[
  Gives back active-execution slots of one tenant (see ExecutionQuota).
  KEYS[1] slots: zset, execution id -> when its slot was reserved or last checked (ms)
  KEYS[2] index: hash, tenant -> 1, for every tenant with slots
  ARGV[1] the tenant's field in the index
  ARGV[2..] execution ids
  Drops the tenant from the index when it has no slot left.
  Returns how many slots were freed.
]]
local freed = 0
for i = 2, #ARGV do
  freed = freed + redis.call('ZREM', KEYS[1], ARGV[i])
end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return freed
