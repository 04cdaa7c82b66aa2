-- Releases one holder, only if it is still the holder: a retried or late release never frees a newer holder.
-- KEYS: 1 owner (string), 2 holders (zset), 3 queue (list), 4 value (election)
-- ARGV: 1 mode (x, s, w, r, k), 2 holder ('<owner id>:<token>'; or '<owner id>:' for whatever that
--       acquisition may hold, after an acquire whose reply was lost), 3 lock channel, 4 wake channel prefix
-- Returns 1 if released, 0 if it was no longer held.
local record = ARGV[2]
local anyToken = string.sub(record, -1) == ':'
local function ours(value)
  if not value then return false end
  if anyToken then return string.sub(value, 1, #record) == record end
  return value == record
end

local removed = 0
if ARGV[1] == 'x' or ARGV[1] == 'w' or ARGV[1] == 'k' then
  local current = redis.call('GET', KEYS[1])
  if ours(current) then
    redis.call('DEL', KEYS[1], KEYS[4])
    if ARGV[1] == 'k' then redis.call('ZREM', KEYS[2], current) end
    removed = 1
  end
elseif anyToken then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if ours(m) then removed = redis.call('ZREM', KEYS[2], m) end
  end
else
  removed = redis.call('ZREM', KEYS[2], record)
end
if removed == 1 then
  redis.call('PUBLISH', ARGV[3], 'r')
  local head = redis.call('LINDEX', KEYS[3], 0)
  if head then redis.call('PUBLISH', ARGV[4] .. string.match(head, '^([^|]*)|'), head) end
end
return removed
