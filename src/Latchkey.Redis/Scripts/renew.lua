-- Extends a holder's lease, only if it is still the holder.
-- Returns 1 if extended, 0 if it was no longer held.
local K = {owner = KEYS[1], holders = KEYS[2], value = KEYS[3]}
-- mode: x, s, w, r, k (RedisLockMode); holder: '<owner id>:<token>'; ttl: ms
local A = {mode = ARGV[1], holder = ARGV[2], ttl = ARGV[3]}
local ttl = tonumber(A.ttl)
if A.mode == 'x' or A.mode == 'w' then
  if redis.call('GET', K.owner) ~= A.holder then return 0 end
  redis.call('PEXPIRE', K.owner, ttl)
  redis.call('PEXPIRE', K.value, ttl)
  return 1
end
local now = server_now()
if A.mode == 'k' then
  if redis.call('GET', K.owner) ~= A.holder then return 0 end
  redis.call('PEXPIRE', K.owner, ttl)
  redis.call('ZADD', K.holders, now + ttl, A.holder)
  keep_until_last(K.holders)
  return 1
end
local expiry = redis.call('ZSCORE', K.holders, A.holder)
if not expiry then return 0 end
if tonumber(expiry) <= now then
  -- Expired on the server's clock: another holder may already count on the permit.
  redis.call('ZREM', K.holders, A.holder)
  return 0
end
redis.call('ZADD', K.holders, now + ttl, A.holder)
keep_until_last(K.holders)
return 1
