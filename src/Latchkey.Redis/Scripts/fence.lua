-- Redlock: raises a node's fence counter to the token agreed on a majority, only while still the holder,
-- so a later majority (which shares a node with this one) draws a larger token.
-- Returns 1 if the counter is at least the agreed token and this is still the holder, else 0.
local K = {owner = KEYS[1], holders = KEYS[2], fence = KEYS[3]}
-- mode: x, s, w, r, k (RedisLockMode); holder: '<owner id>:<token>'; token: the agreed one
local A = {mode = ARGV[1], holder = ARGV[2], token = ARGV[3]}
local held
if A.mode == 'x' or A.mode == 'w' or A.mode == 'k' then
  held = redis.call('GET', K.owner) == A.holder
else
  held = redis.call('ZSCORE', K.holders, A.holder) ~= false
end
if not held then return 0 end
local current = tonumber(redis.call('GET', K.fence) or '0')
-- KEEPTTL: the counter keeps the expiry its last grant gave it (next_token in common.lua).
if current < tonumber(A.token) then redis.call('SET', K.fence, A.token, 'KEEPTTL') end
return 1
