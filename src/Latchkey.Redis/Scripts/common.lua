-- Helpers of the general scripts, written once here and included before each that uses them (RedisScripts names
-- which; RedisScript.Load puts this text first). The plain lock's lean scripts do without them (lock.lua).

-- The server's clock in ms: deadlines and lease expiries use it, never the clients'.
local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Wakes one fair waiter: its provider listens on wake_prefix .. provider id, the first part of the member.
local function wake(member, wake_prefix)
  redis.call('PUBLISH', wake_prefix .. string.match(member, '^([^|]*)|'), member)
end

-- Wakes the head of a fair queue, if there is one.
local function wake_head(queue, wake_prefix)
  local head = redis.call('LINDEX', queue, 0)
  if head then wake(head, wake_prefix) end
end

-- Keeps a sorted set scored by expiry until its last member expires; returns that expiry (nil if empty).
local function keep_until_last(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', key, last[2]) end
  return last[2]
end

-- Draws the next fencing token from a counter (issue 17). A fresh counter (never used, expired, or lost to a restart
-- without persistence or a FLUSHALL) starts at the server's clock in microseconds: above every token drawn before,
-- as long as that clock did not step back, since no counter draws a token a microsecond. The counter expires
-- max(10 × the lock's TTL, 1 day) after its last grant, so a name locked once does not keep a key for ever.
-- floor (Redlock: the token agreed before on a majority, or nil) is the least token to draw.
local function next_token(fence, ttl, floor)
  local token = redis.call('INCR', fence)
  if token == 1 then
    local t = redis.call('TIME')
    -- As a string: Lua would print a number this large in exponent form.
    local start = t[1] .. string.format('%06d', tonumber(t[2]))
    redis.call('SET', fence, start)
    token = tonumber(start)
  end
  if floor and token < tonumber(floor) then
    redis.call('SET', fence, floor)
    token = tonumber(floor)
  end
  redis.call('PEXPIRE', fence, math.max(tonumber(ttl) * 10, 86400000))
  return token
end
