--[[
  Publishes one worker process's heartbeat (see worker-liveness.ts), timed by the server.
  KEYS[1] workers: hash, worker id -> its heartbeat (JSON)
  ARGV[1] the worker's id
  ARGV[2] ttl of the heartbeat (ms)
  ARGV[3] ms since the worker last took a job, or -1 when it took none
  ARGV[4] ms since the worker started
  ARGV[5] the heartbeat's other fields (a JSON object: host, pid, busy, slots)
  Stores the fields with beatAt, expiresAt, fetchedAt and startedAt in server ms, and keeps
  the hash for at least the ttl (a longer expiry set by another worker is kept).
  Returns the server time (ms).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local beat = cjson.decode(ARGV[5])
beat.beatAt = now
beat.expiresAt = now + ttl
local ago = tonumber(ARGV[3])
if ago >= 0 then beat.fetchedAt = now - ago end
beat.startedAt = now - tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(beat))
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return now
