--[[
  Records how a node run its type's circuit breaker admitted ended (see CircuitBreakers).
  KEYS[1] breaker hash (see breaker-admit-2.lua)
  KEYS[2] waiting: set of the jobs delayed by the breaker
  ARGV[1] now (ms)
  ARGV[2] the run's token
  ARGV[3] outcome: 1 success, 0 failure, -1 none (the run ended without a verdict)
  ARGV[4] failureRate   ARGV[5] minimumRuns   ARGV[6] windowMs   ARGV[7] openMs
  ARGV[8] bucket width (ms)
  The probe's verdict closes the breaker (success: the waiting jobs are handed back to be
  woken) or opens it again (failure); a probe without a verdict lets the next run probe.
  While closed, the run is counted in its time bucket; when the window holds at least
  minimumRuns runs and failureRate of them failed, the breaker opens until now + openMs.
  Runs admitted before the breaker opened change nothing.
  Returns { state, changed (1|0), until, woken members... }
]]
local now = tonumber(ARGV[1])
local outcome = tonumber(ARGV[3])
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local openUntil = now + tonumber(ARGV[7])
if state == 'half-open' and redis.call('HGET', KEYS[1], 'probe') == ARGV[2] then
  if outcome == 1 then
    local woken = redis.call('SMEMBERS', KEYS[2])
    redis.call('DEL', KEYS[1], KEYS[2])
    local out = {'closed', 1, 0}
    for i = 1, #woken do out[#out + 1] = woken[i] end
    return out
  elseif outcome == 0 then
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[1], 'state', 'open', 'until', openUntil)
    return {'open', 1, openUntil}
  end
  redis.call('HSET', KEYS[1], 'until', 0)
  redis.call('HDEL', KEYS[1], 'probe')
  return {state, 0, 0}
end
if outcome == -1 or state ~= 'closed' then return {state, 0, 0} end
local width = tonumber(ARGV[8])
local bucket = math.floor(now / width)
local oldest = bucket - math.ceil(tonumber(ARGV[6]) / width) + 1
redis.call('HINCRBY', KEYS[1], 'r:' .. bucket, 1)
if outcome == 0 then redis.call('HINCRBY', KEYS[1], 'f:' .. bucket, 1) end
local runs, failures = 0, 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local kind, b = string.match(fields[i], '^(%a):(%-?%d+)$')
  if kind then
    if tonumber(b) < oldest then
      redis.call('HDEL', KEYS[1], fields[i])
    elseif kind == 'r' then
      runs = runs + tonumber(fields[i + 1])
    else
      failures = failures + tonumber(fields[i + 1])
    end
  end
end
if runs >= tonumber(ARGV[5]) and failures >= tonumber(ARGV[4]) * runs then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', openUntil)
  return {'open', 1, openUntil}
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]) + width)
return {'closed', 0, 0}
