--[[
  Replaces a workflow's webhook routes atomically.
  KEYS[1] routes: hash, 'METHOD path' -> JSON list of targets
  KEYS[2] owners: hash, target -> JSON list of its routes
  ARGV[1] target (tenant and workflow)
  ARGV[2] JSON list of the target's routes now
  Returns the number of routes the target has now.
]]
local target = ARGV[1]
local old = redis.call('HGET', KEYS[2], target)
local function without(list, item)
  local out = {}
  for _, v in ipairs(list) do if v ~= item then table.insert(out, v) end end
  return out
end
if old then
  for _, route in ipairs(cjson.decode(old)) do
    local cur = redis.call('HGET', KEYS[1], route)
    if cur then
      local rest = without(cjson.decode(cur), target)
      if #rest == 0 then redis.call('HDEL', KEYS[1], route)
      else redis.call('HSET', KEYS[1], route, cjson.encode(rest)) end
    end
  end
end
local routes = cjson.decode(ARGV[2])
for _, route in ipairs(routes) do
  local cur = redis.call('HGET', KEYS[1], route)
  local list = cur and without(cjson.decode(cur), target) or {}
  table.insert(list, target)
  redis.call('HSET', KEYS[1], route, cjson.encode(list))
end
if #routes == 0 then redis.call('HDEL', KEYS[2], target)
else redis.call('HSET', KEYS[2], target, ARGV[2]) end
return #routes
