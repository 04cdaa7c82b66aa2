-- Releases one holder, only if it is still the holder: a retried or late release never frees a newer holder.
-- KEYS: 1 owner (string), 2 holders (zset), 3 queue (list), 4 value (election)
-- ARGV: 1 mode (x, s, w, r, k), 2 holder ('<owner id>:<token>'), 3 lock channel, 4 wake channel prefix
-- Returns 1 if released, 0 if it was no longer held.
local removed = 0
if ARGV[1] == 'x' or ARGV[1] == 'w' or ARGV[1] == 'k' then
  if redis.call('GET', KEYS[1]) == ARGV[2] then
    redis.call('DEL', KEYS[1], KEYS[4])
    if ARGV[1] == 'k' then redis.call('ZREM', KEYS[2], ARGV[2]) end
    removed = 1
  end
else
  removed = redis.call('ZREM', KEYS[2], ARGV[2])
end
if removed == 1 then
  redis.call('PUBLISH', ARGV[3], 'r')
  local head = redis.call('LINDEX', KEYS[3], 0)
  if head then redis.call('PUBLISH', ARGV[4] .. string.match(head, '^([^|]*)|'), head) end
end
return removed
