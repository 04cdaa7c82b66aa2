-- Reads the holders and waiters of one primitive at one instant.
-- KEYS: 1 owner (string), 2 holders (zset), 3 queue (list), 4 queue deadlines (zset), 5 value (election),
--       6 writer intent (string)
-- Returns {owner or false, owner pttl, value or false, {holder, expiry, ...}, {waiter, ...}, now ms, intent or false}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = redis.call('GET', KEYS[1])
local pttl = redis.call('PTTL', KEYS[1])
local value = redis.call('GET', KEYS[5])
local holders = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'WITHSCORES')
local live = {}
for _, m in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  local d = redis.call('ZSCORE', KEYS[4], m)
  if d and tonumber(d) > now then live[#live + 1] = m end
end
return {owner, pttl, value, holders, live, now, redis.call('GET', KEYS[6])}
