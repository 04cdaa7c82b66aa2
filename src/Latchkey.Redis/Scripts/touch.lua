-- Keeps a waiter's place: its fair-queue deadline, or a waiting writer's intent.
-- KEYS: 1 queue (list), 2 queue deadlines (zset), 3 writer intent (string)
-- ARGV: 1 queue member, 2 owner id, 3 ttl ms, 4 fair (0/1)
-- Returns 1 if the waiter still had its place, 0 if it was dropped.
local ttl = tonumber(ARGV[3])
if ARGV[4] == '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local d = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not d or tonumber(d) <= now then return 0 end
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[2], last[2])
  redis.call('PEXPIREAT', KEYS[1], last[2])
  return 1
end
if redis.call('GET', KEYS[3]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return 1
