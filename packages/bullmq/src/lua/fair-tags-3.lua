--[[
  Places node jobs without a priority fairly between tenants in a queue they share: each
  job gets a virtual-time tag ("start-time fair queueing") that becomes its BullMQ
  priority, so that every tenant with jobs waiting has one among the first of the queue.
  KEYS[1] tags: hash, tenant -> the last tag it was given
  KEYS[2] the queue's BullMQ prioritized zset (score: priority * 2^32 + a counter)
  KEYS[3] spares: hash, 'until' -> until when tags given out ahead may be used (server
          ms), 'top' -> the largest of those tags
  ARGV[1] band: the largest tag (jobs with a priority of their own come after the band)
  ARGV[2] ttl of the tags and spares hashes (ms)
  ARGV[3] hold: how long the spares given out now may still be used (ms)
  ARGV[4..] tenant, count of its jobs, spare: one triple per tenant of the batch; spare
          tags are given out ahead, for the caller's next jobs of that tenant
  The queue's virtual time is the tag of the first job waiting in the band; when none
  waits, every tenant starts again from 0 (from the top spare while spares may be in use).
  A tenant's jobs get the tags after the larger of the virtual time and its last tag: one
  alone keeps its order (its tags only grow); one that had nothing waiting starts next to
  the head of the queue. Once the virtual time passes half the band, no spare is given out
  and, once none may still be in use, every job waiting in the band and every tag moves
  down by it (the order kept), so that the tags stay within the band.
  Returns, per tenant in the order given, its first tag and the last one it was given
  (first + count + spare - 1, at most the band).
]]
local SHIFT = 4294967296
local band = tonumber(ARGV[1])
local hold = tonumber(ARGV[3])
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local spares = redis.call('HMGET', KEYS[3], 'until', 'top')
local held = spares[1] and nowMs < tonumber(spares[1])
local top = string.format('(%.0f', (band + 1) * SHIFT)
local head = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', top, 'WITHSCORES', 'LIMIT', 0, 1)
local now = 0
if head[2] then
  now = math.floor(tonumber(head[2]) / SHIFT)
elseif held then
  now = math.min(tonumber(spares[2]), band)
else
  redis.call('DEL', KEYS[1])
end
local shiftDue = now > band / 2
if shiftDue and not held then
  local down = now - 1
  local jobs = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', top, 'WITHSCORES')
  for i = 1, #jobs, 2 do
    local score = tonumber(jobs[i + 1]) - down * SHIFT
    redis.call('ZADD', KEYS[2], 'XX', string.format('%.0f', score), jobs[i])
  end
  local tags = redis.call('HGETALL', KEYS[1])
  for i = 1, #tags, 2 do
    redis.call('HSET', KEYS[1], tags[i], math.max(0, tonumber(tags[i + 1]) - down))
  end
  now = 1
  shiftDue = false
end
local out = {}
local spareTop = 0
for i = 4, #ARGV, 3 do
  local last = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  local start = math.max(now, last)
  local spare = tonumber(ARGV[i + 2])
  if shiftDue then spare = 0 end
  local finish = math.min(start + tonumber(ARGV[i + 1]) + spare, band)
  redis.call('HSET', KEYS[1], ARGV[i], finish)
  if spare > 0 then spareTop = math.max(spareTop, finish) end
  table.insert(out, start + 1)
  table.insert(out, finish)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if spareTop > 0 then
  local untilMs = nowMs + hold
  if held then
    spareTop = math.max(spareTop, tonumber(spares[2]))
    untilMs = math.max(untilMs, tonumber(spares[1]))
  end
  redis.call('HSET', KEYS[3], 'until', untilMs, 'top', spareTop)
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return out
