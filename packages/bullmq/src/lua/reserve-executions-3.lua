--[[
  Reserves active-execution slots of one tenant (see ExecutionQuota), all or none.
  KEYS[1] slots: zset, execution id -> when its slot was reserved or last checked (ms)
  KEYS[2] keys: zset, idempotency key of a start -> when it was first used (ms)
  KEYS[3] index: hash, tenant -> 1, for every tenant with slots (the reconciler's pass)
  ARGV[1] now (ms)
  ARGV[2] limit: the tenant's maxActiveExecutions
  ARGV[3] how long an idempotency key is remembered (ms)
  ARGV[4] the tenant's field in the index
  ARGV[5..] pairs: execution id, its idempotency key ('' when none)
  A start whose idempotency key was used before (a retry, or the same key twice in one
  call) is not checked against the limit, since it may return an execution that exists;
  it is counted all the same, and the caller releases its slot when it created nothing.
  The keys set expires ARGV[3] after its last use; the slots set holds no member once the
  tenant has no active execution (Redis then deletes it), and release-executions drops
  the tenant from the index.
  Returns { 1, the count after } when the slots were reserved, { 0, the count } when the
  limit refused them (nothing was written).
]]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
local count = redis.call('ZCARD', KEYS[1])
local fresh = 0
local seen = {}
for i = 5, #ARGV, 2 do
  local key = ARGV[i + 1]
  local retry = false
  if key ~= '' then
    retry = seen[key] or (redis.call('ZSCORE', KEYS[2], key) ~= false)
    seen[key] = true
  end
  if not retry and not redis.call('ZSCORE', KEYS[1], ARGV[i]) then fresh = fresh + 1 end
end
if count + fresh > limit then return {0, count} end
for i = 5, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'NX', now, ARGV[i])
  if ARGV[i + 1] ~= '' then redis.call('ZADD', KEYS[2], 'NX', now, ARGV[i + 1]) end
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[4], 1)
return {1, redis.call('ZCARD', KEYS[1])}
