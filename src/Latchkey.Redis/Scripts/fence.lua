-- Redlock: raises a node's fence counter to the token agreed on a majority, only while still the holder,
-- so a later majority (which shares a node with this one) draws a larger token.
-- KEYS: 1 owner (string), 2 holders (zset), 3 fence
-- ARGV: 1 mode (x, s, w, r, k), 2 holder ('<owner id>:<token>'), 3 agreed token
-- Returns 1 if the counter is at least the agreed token and this is still the holder, else 0.
local held
if ARGV[1] == 'x' or ARGV[1] == 'w' or ARGV[1] == 'k' then
  held = redis.call('GET', KEYS[1]) == ARGV[2]
else
  held = redis.call('ZSCORE', KEYS[2], ARGV[2]) ~= false
end
if not held then return 0 end
local current = tonumber(redis.call('GET', KEYS[3]) or '0')
if current < tonumber(ARGV[3]) then redis.call('SET', KEYS[3], ARGV[3]) end
return 1
