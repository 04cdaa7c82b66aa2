-- A waiter gives up: it leaves the queue and drops its writer intent, and whoever that unblocks is woken.
local K = {queue = KEYS[1], deadlines = KEYS[2], intent = KEYS[3]}
-- member: fair queue member ('' if none); id: owner id; channel: the lock's; wake_prefix: + provider, wakes fair waiters
local A = {member = ARGV[1], id = ARGV[2], channel = ARGV[3], wake_prefix = ARGV[4]}
local wasHead = A.member ~= '' and redis.call('LINDEX', K.queue, 0) == A.member
if A.member ~= '' then
  redis.call('LREM', K.queue, 1, A.member)
  redis.call('ZREM', K.deadlines, A.member)
end
if redis.call('GET', K.intent) == A.id then
  redis.call('DEL', K.intent)
  redis.call('PUBLISH', A.channel, 'r')
end
if wasHead then
  wake_head(K.queue, A.wake_prefix)
end
redis.call('PUBLISH', A.channel, 'q')
return 1
