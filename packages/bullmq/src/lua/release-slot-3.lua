--[[
  Gives up a node run's slot and hands free slots to the oldest waiters.
  KEYS[1] slots: zset, member -> expiry (ms)
  KEYS[2] waiting: zset, member -> arrival (ms)
  KEYS[3] index: hash, workflow field -> its limit (for the reconciler's pass)
  ARGV[1] now (ms)
  ARGV[2] ttl of a slot (ms)
  ARGV[3] max: the workflow's maxConcurrency
  ARGV[4] member giving up its slot and its place among the waiters ('' for none)
  ARGV[5] index field
  Drops expired slots, then hands every free slot to the oldest waiters. A gate left with
  no slot held and no waiter leaves the index (the next acquire notes it again), so a
  workflow's finished executions leave nothing of its gate in Redis.
  Returns the waiters handed a slot.
]]
local now = tonumber(ARGV[1])
local expiry = now + tonumber(ARGV[2])
local max = tonumber(ARGV[3])
if ARGV[4] ~= '' then
  redis.call('ZREM', KEYS[1], ARGV[4])
  redis.call('ZREM', KEYS[2], ARGV[4])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
while redis.call('ZCARD', KEYS[1]) < max do
  local w = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not w then break end
  redis.call('ZREM', KEYS[2], w)
  redis.call('ZADD', KEYS[1], expiry, w)
  table.insert(out, w)
end
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[5])
end
return out
