--[[
  Takes a workflow maxConcurrency slot for a node run, or queues the run for one.
  KEYS[1] slots: zset, member -> expiry (ms)
  KEYS[2] waiting: zset, member -> arrival (ms)
  KEYS[3] index: hash, workflow field -> its limit (for the reconciler's pass)
  ARGV[1] now (ms)
  ARGV[2] ttl of a slot (ms)
  ARGV[3] max: the workflow's maxConcurrency
  ARGV[4] member: the node run
  ARGV[5] index field
  Notes the limit in the index, drops expired slots, hands free slots to the oldest
  waiters, then takes one for the member if one is left; otherwise queues the member
  (once) among the waiters.
  Returns { 1 if the member holds a slot else 0, waiters that were handed one... }
]]
local now = tonumber(ARGV[1])
local expiry = now + tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local me = ARGV[4]
redis.call('HSET', KEYS[3], ARGV[5], max)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {0}
if redis.call('ZSCORE', KEYS[1], me) then
  redis.call('ZADD', KEYS[1], expiry, me)
  redis.call('ZREM', KEYS[2], me)
  out[1] = 1
  return out
end
while redis.call('ZCARD', KEYS[1]) < max do
  local w = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not w then break end
  redis.call('ZREM', KEYS[2], w)
  redis.call('ZADD', KEYS[1], expiry, w)
  if w == me then out[1] = 1 else table.insert(out, w) end
end
if out[1] == 0 and redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], expiry, me)
  out[1] = 1
end
if out[1] == 0 then redis.call('ZADD', KEYS[2], 'NX', now, me) end
return out
