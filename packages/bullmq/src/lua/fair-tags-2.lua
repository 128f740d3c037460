--[[
  Places node jobs without a priority fairly between tenants in a queue they share: each
  job gets a virtual-time tag ("start-time fair queueing") that becomes its BullMQ
  priority, so that every tenant with jobs waiting has one among the first of the queue.
  KEYS[1] tags: hash, tenant -> the tag of its last job
  KEYS[2] the queue's BullMQ prioritized zset (score: priority * 2^32 + a counter)
  ARGV[1] band: the largest tag (jobs with a priority of their own come after the band)
  ARGV[2] ttl of the tags hash (ms)
  ARGV[3..] tenant, count of its jobs: one pair per tenant of the batch
  The queue's virtual time is the tag of the first job waiting in the band; when none
  waits, every tenant starts again from 0. A tenant's jobs get the tags after the larger of
  the virtual time and its last tag: one alone keeps its order (its tags only grow); one
  that had nothing waiting starts next to the head of the queue. Once the virtual time
  passes half the band, every job waiting in the band and every tag moves down by it (the
  order kept), so that the tags stay within the band.
  Returns the first tag of each tenant, in the order given (later jobs: the next ones, up
  to the band).
]]
local SHIFT = 4294967296
local band = tonumber(ARGV[1])
local top = string.format('(%.0f', (band + 1) * SHIFT)
local head = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', top, 'WITHSCORES', 'LIMIT', 0, 1)
local now = 0
if head[2] then
  now = math.floor(tonumber(head[2]) / SHIFT)
else
  redis.call('DEL', KEYS[1])
end
if now > band / 2 then
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
end
local out = {}
for i = 3, #ARGV, 2 do
  local last = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  local start = math.max(now, last)
  redis.call('HSET', KEYS[1], ARGV[i], math.min(start + tonumber(ARGV[i + 1]), band))
  table.insert(out, start + 1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return out
