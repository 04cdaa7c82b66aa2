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
