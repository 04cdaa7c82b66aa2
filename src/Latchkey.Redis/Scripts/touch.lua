-- Keeps a waiter's place: its fair-queue deadline, or a waiting writer's intent.
-- Returns 1 if the waiter still had its place, 0 if it was dropped.
local K = {queue = KEYS[1], deadlines = KEYS[2], intent = KEYS[3]}
-- member: fair queue member; id: owner id; ttl: ms; fair: 0/1
local A = {member = ARGV[1], id = ARGV[2], ttl = ARGV[3], fair = ARGV[4]}
local ttl = tonumber(A.ttl)
if A.fair == '1' then
  local now = server_now()
  local d = redis.call('ZSCORE', K.deadlines, A.member)
  if not d or tonumber(d) <= now then return 0 end
  redis.call('ZADD', K.deadlines, now + ttl, A.member)
  redis.call('PEXPIREAT', K.queue, keep_until_last(K.deadlines))
  return 1
end
if redis.call('GET', K.intent) == A.id then
  redis.call('PEXPIRE', K.intent, ttl)
end
return 1
