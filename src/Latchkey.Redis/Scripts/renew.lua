-- Extends a holder's lease, only if it is still the holder.
-- KEYS: 1 owner (string), 2 holders (zset), 3 value (election)
-- ARGV: 1 mode (x, s, w, r, k), 2 holder ('<owner id>:<token>'), 3 ttl ms
-- Returns 1 if extended, 0 if it was no longer held.
local ttl = tonumber(ARGV[3])
if ARGV[1] == 'x' or ARGV[1] == 'w' then
  if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
  return 1
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] == 'k' then
  if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[2])
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[2], last[2])
  return 1
end
local expiry = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not expiry then return 0 end
if tonumber(expiry) <= now then
  -- Expired on the server's clock: another holder may already count on the permit.
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 0
end
redis.call('ZADD', KEYS[2], now + ttl, ARGV[2])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
return 1
