-- Releases one holder, only if it is still the holder: a retried or late release never frees a newer holder.
-- Returns 1 if released, 0 if it was no longer held.
local K = {owner = KEYS[1], holders = KEYS[2], queue = KEYS[3], value = KEYS[4]}
-- mode: x, s, w, r, k (RedisLockMode); holder: '<owner id>:<token>', or '<owner id>:' for whatever that acquisition
-- may hold, after an acquire whose reply was lost; channel: the lock's; wake_prefix: + provider, wakes fair waiters.
local A = {mode = ARGV[1], holder = ARGV[2], channel = ARGV[3], wake_prefix = ARGV[4]}
local record = A.holder
local anyToken = string.sub(record, -1) == ':'
local function ours(value)
  if not value then return false end
  if anyToken then return string.sub(value, 1, #record) == record end
  return value == record
end

local removed = 0
if A.mode == 'x' or A.mode == 'w' or A.mode == 'k' then
  local current = redis.call('GET', K.owner)
  if ours(current) then
    redis.call('DEL', K.owner, K.value)
    if A.mode == 'k' then redis.call('ZREM', K.holders, current) end
    removed = 1
  end
elseif anyToken then
  for _, m in ipairs(redis.call('ZRANGE', K.holders, 0, -1)) do
    if ours(m) then removed = redis.call('ZREM', K.holders, m) end
  end
else
  removed = redis.call('ZREM', K.holders, record)
end
if removed == 1 then
  redis.call('PUBLISH', A.channel, 'r')
  wake_head(K.queue, A.wake_prefix)
end
return removed
