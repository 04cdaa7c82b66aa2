-- Keeps a waiter's place: its fair-queue deadline, or a waiting writer's intent.
-- Returns 1 if the waiter still had its place, 0 if it was dropped.
local K = {queue = KEYS[1], deadlines = KEYS[2], intent = KEYS[3]}
-- member: fair queue member; id: owner id; ttl: ms; fair: 0/1
local A = {member = ARGV[1], id = ARGV[2], ttl = ARGV[3], fair = ARGV[4]}
local ttl = tonumber(A.ttl)
if A.fair == '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local d = redis.call('ZSCORE', K.deadlines, A.member)
  if not d or tonumber(d) <= now then return 0 end
  redis.call('ZADD', K.deadlines, now + ttl, A.member)
  local last = redis.call('ZRANGE', K.deadlines, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', K.deadlines, last[2])
  redis.call('PEXPIREAT', K.queue, last[2])
  return 1
end
if redis.call('GET', K.intent) == A.id then
  redis.call('PEXPIRE', K.intent, ttl)
end
return 1
