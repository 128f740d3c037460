--[[
  Claims the next items of a map node to start: as many as its concurrency leaves room
  for (items claimed but not finished count as running).
  KEYS[1] state: hash total, next, done, failed, concurrency[, halted]
  Returns the claimed item indexes (0-based, ascending); none once the map is halted.
]]
local s = redis.call('HMGET', KEYS[1], 'total', 'next', 'done', 'failed', 'concurrency', 'halted')
if not s[1] or s[6] then return {} end
local total = tonumber(s[1])
local nxt = tonumber(s[2])
local room = tonumber(s[5]) - (nxt - tonumber(s[3]) - tonumber(s[4]))
local out = {}
while room > 0 and nxt < total do
  table.insert(out, nxt)
  nxt = nxt + 1
  room = room - 1
end
if #out > 0 then redis.call('HSET', KEYS[1], 'next', nxt) end
return out
