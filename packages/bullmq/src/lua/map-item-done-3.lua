--[[
  Records the result of one item of a map node (once), then claims the next items to
  start: as many as its concurrency leaves room for (items claimed without a result count
  as running). Without an item (ARGV[1] empty) it only claims, as a map does when it starts.
  KEYS[1] state: hash total, next, done, failed, concurrency[, halted]
  KEYS[2] results: hash index -> result JSON
  KEYS[3] live: set of the indexes whose child execution was started
  ARGV[1] index, or '' to claim only
  ARGV[2] 'ok' or 'failed'
  ARGV[3] the result JSON
  ARGV[4] '1' when a failed item fails the map node
  Returns { what, indexes to start... }: 'gone' (no such map), 'seen' (recorded before),
  'halted' (the map was finished before), 'fail' (this failure fails the map: halted
  now), 'complete' (the last item: halted now) or 'next' with the items claimed to start.
  Exactly one call returns 'fail' or 'complete'.
]]
local s = redis.call('HMGET', KEYS[1], 'total', 'next', 'done', 'failed', 'concurrency', 'halted')
if not s[1] then return {'gone'} end
local done = tonumber(s[3])
local failed = tonumber(s[4])
if ARGV[1] ~= '' then
  if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then return {'seen'} end
  redis.call('SREM', KEYS[3], ARGV[1])
  if ARGV[2] == 'failed' then
    failed = failed + 1
    redis.call('HSET', KEYS[1], 'failed', failed)
  else
    done = done + 1
    redis.call('HSET', KEYS[1], 'done', done)
  end
  if s[6] then return {'halted'} end
  if ARGV[2] == 'failed' and ARGV[4] == '1' then
    redis.call('HSET', KEYS[1], 'halted', 'fail:' .. ARGV[1])
    return {'fail'}
  end
  if done + failed >= tonumber(s[1]) then
    redis.call('HSET', KEYS[1], 'halted', 'complete')
    return {'complete'}
  end
elseif s[6] then
  return {'halted'}
end
local total = tonumber(s[1])
local nxt = tonumber(s[2])
local room = tonumber(s[5]) - (nxt - done - failed)
local out = {'next'}
while room > 0 and nxt < total do
  table.insert(out, nxt)
  nxt = nxt + 1
  room = room - 1
end
if #out > 1 then redis.call('HSET', KEYS[1], 'next', nxt) end
return out
