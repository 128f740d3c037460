--[[
  Admits a node run past its type's circuit breaker (see CircuitBreakers).
  KEYS[1] breaker: hash { state = open|half-open (absent: closed), until = ms, probe = token,
          r:<bucket> = runs, f:<bucket> = failures }
  KEYS[2] waiting: set of the jobs delayed by the breaker (woken when it closes)
  ARGV[1] now (ms)
  ARGV[2] the run's token
  ARGV[3] the probe's lease (ms): a probe that has not reported by then is replaced
  ARGV[4] the job's member in the waiting set
  Closed: admitted. Open or half-open before until: the member is added to the waiting
  set, and the run waits until until. Otherwise (open and due, or a probe whose lease ran
  out): this run is the probe, the breaker half-open until now + lease.
  Returns { 0 } admitted | { 1, until, previous state } probe | { 2, until } wait.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {0} end
local now = tonumber(ARGV[1])
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < untilMs then
  redis.call('SADD', KEYS[2], ARGV[4])
  return {2, untilMs}
end
local leaseEnd = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'state', 'half-open', 'probe', ARGV[2], 'until', leaseEnd)
return {1, leaseEnd, state}
