-- acquire.lua for its most common case, kept lean because every cycle of a plain lock pays for it: an exclusive
-- lock (not an election, not fair) on a single Redis, asked for alone (batch-lock.lua does several at once).
-- Same keys' meaning, same reply.
-- KEYS: 1 owner (string), 2 fence (counter)
-- ARGV: 1 owner id, 2 ttl ms, 3 lock channel
-- Returns {1, token} when acquired, else {0, ms until the fallback retry}.
local p = redis.call('PTTL', KEYS[1])
if p ~= -2 then
  if p < 0 then p = tonumber(ARGV[2]) end
  return {0, p}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], 'a')
return {1, token}
