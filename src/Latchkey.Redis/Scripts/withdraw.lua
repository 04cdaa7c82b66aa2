-- A waiter gives up: it leaves the queue and drops its writer intent, and whoever that unblocks is woken.
-- KEYS: 1 queue (list), 2 queue deadlines (zset), 3 writer intent (string)
-- ARGV: 1 queue member ('' if none), 2 owner id, 3 lock channel, 4 wake channel prefix
local wasHead = ARGV[1] ~= '' and redis.call('LINDEX', KEYS[1], 0) == ARGV[1]
if ARGV[1] ~= '' then
  redis.call('LREM', KEYS[1], 1, ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
if redis.call('GET', KEYS[3]) == ARGV[2] then
  redis.call('DEL', KEYS[3])
  redis.call('PUBLISH', ARGV[3], 'r')
end
if wasHead then
  local head = redis.call('LINDEX', KEYS[1], 0)
  if head then redis.call('PUBLISH', ARGV[4] .. string.match(head, '^([^|]*)|'), head) end
end
redis.call('PUBLISH', ARGV[3], 'q')
return 1
