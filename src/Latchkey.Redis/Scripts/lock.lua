-- A plain lock (exclusive, not an election, not fair, single Redis): its acquire and its release, written once here
-- and included before acquire-lock.lua, release-lock.lua and batch-lock.lua (RedisScript.Load puts this text first).
-- Every cycle of a plain lock pays for these, so they stay lean.

-- owner (string key), fence (counter key), id (owner id), ttl (ms), channel (the lock's channel).
-- Returns the fencing token (> 0) if acquired, else -(ms until the fallback retry) - 1.
local function acquire_lock(owner, fence, id, ttl, channel)
  local p = redis.call('PTTL', owner)
  if p ~= -2 then
    if p < 0 then p = tonumber(ttl) end
    return -p - 1
  end
  local token = redis.call('INCR', fence)
  redis.call('SET', owner, id .. ':' .. token, 'PX', ttl)
  redis.call('PUBLISH', channel, 'a')
  return token
end

-- owner (string key), queue (list key), holder ('<owner id>:<token>'), channel, wake_prefix.
-- Releases only if still the holder, so a retried or late release never frees a newer holder. Fair waiters of other
-- providers may queue on any lock: wake the head. Returns 1 if released, 0 if it was no longer held.
local function release_lock(owner, queue, holder, channel, wake_prefix)
  if redis.call('GET', owner) ~= holder then return 0 end
  redis.call('DEL', owner)
  redis.call('PUBLISH', channel, 'r')
  local head = redis.call('LINDEX', queue, 0)
  if head then redis.call('PUBLISH', wake_prefix .. string.match(head, '^([^|]*)|'), head) end
  return 1
end
