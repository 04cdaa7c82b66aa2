-- Reads the holders and waiters of one primitive at one instant.
-- Returns {owner or false, owner pttl, value or false, {holder, expiry, ...}, {waiter, ...}, now ms, intent or false}.
local K = {owner = KEYS[1], holders = KEYS[2], queue = KEYS[3], deadlines = KEYS[4], value = KEYS[5], intent = KEYS[6]}
local now = server_now()
local owner = redis.call('GET', K.owner)
local pttl = redis.call('PTTL', K.owner)
local value = redis.call('GET', K.value)
local holders = redis.call('ZRANGEBYSCORE', K.holders, '(' .. now, '+inf', 'WITHSCORES')
local live = {}
for _, m in ipairs(redis.call('LRANGE', K.queue, 0, -1)) do
  local d = redis.call('ZSCORE', K.deadlines, m)
  if d and tonumber(d) > now then live[#live + 1] = m end
end
return {owner, pttl, value, holders, live, now, redis.call('GET', K.intent)}
