-- A lock (exclusive, not an election, single Redis), fair or not: its acquire and its release, written once here and
-- included (after common.lua) before acquire-lock.lua, release-lock.lua and batch-lock.lua. Every cycle of a lock
-- pays for these, so they stay lean: where nobody waits, a fair acquire costs what a barging one does.

-- Announces a change on the lock's channel only if someone listens there (barging waiters, status watchers): a
-- PUBLISH is replicated and written to the AOF even when nobody hears it. always = '1' on a Redis Cluster, where
-- a subscriber may sit on another node than the one that counts its channel's subscribers.
local function announce(channel, message, always)
  if always == '1' or redis.call('PUBSUB', 'NUMSUB', channel)[2] > 0 then
    redis.call('PUBLISH', channel, message)
  end
end

local function grant(owner, fence, id, ttl, channel, always)
  local token = next_token(fence, ttl)
  redis.call('SET', owner, id .. ':' .. string.format('%d', token), 'PX', ttl)
  announce(channel, 'a', always)
  return token
end

-- owner (string key), fence (counter key), id (owner id), ttl (ms), channel (the lock's channel).
-- Barging: takes the lock if free, whoever waits. Returns the fencing token (> 0) if acquired, else -(ms until the
-- fallback retry) - 1.
local function acquire_lock(owner, fence, id, ttl, channel, always)
  local p = redis.call('PTTL', owner)
  if p ~= -2 then
    if p < 0 then p = tonumber(ttl) end
    return -p - 1
  end
  return grant(owner, fence, id, ttl, channel, always)
end

-- Fair: as acquire_lock, and queue (list of members, oldest first) and deadlines (each member's, server ms) decide
-- who may take a free lock: only the head. member is '<provider>|<waiter>|x'; wait = '1' joins the queue (or keeps
-- the place, with a new deadline) if not acquired. acquire.lua decides the same for every kind (RedisQueueRuleTests).
local function acquire_fair(owner, fence, queue, deadlines, id, ttl, channel, member, wake_prefix, wait, always)
  local head = redis.call('LINDEX', queue, 0)
  local p = redis.call('PTTL', owner)
  if not head then
    -- Nobody waits: as the barging acquire, without the queue's clock and sweep.
    if p == -2 then return grant(owner, fence, id, ttl, channel, always) end
    if wait ~= '1' then return -(p < 0 and tonumber(ttl) or p) - 1 end
  end
  -- A waiter that stopped refreshing its place (crashed, cut off) leaves the queue.
  local now = server_now()
  if head then
    local dead = redis.call('ZRANGEBYSCORE', deadlines, '-inf', now)
    for _, m in ipairs(dead) do redis.call('LREM', queue, 1, m) end
    if #dead > 0 then
      redis.call('ZREMRANGEBYSCORE', deadlines, '-inf', now)
      head = redis.call('LINDEX', queue, 0)
    end
  end
  local hint
  if p ~= -2 then
    hint = p < 0 and tonumber(ttl) or p
  elseif not head or head == member then
    if head then
      redis.call('LPOP', queue)
      redis.call('ZREM', deadlines, member)
    end
    return grant(owner, fence, id, ttl, channel, always)
  else
    local d = redis.call('ZSCORE', deadlines, head)
    hint = d and math.max(tonumber(d) - now, 0) or 0
    -- The head may have missed its wake-up; a second one is harmless.
    wake(head, wake_prefix)
  end
  if wait == '1' then
    if not redis.call('ZSCORE', deadlines, member) then
      redis.call('RPUSH', queue, member)
      announce(channel, 'q', always)
    end
    redis.call('ZADD', deadlines, now + tonumber(ttl), member)
    redis.call('PEXPIREAT', queue, keep_until_last(deadlines))
  end
  return -hint - 1
end

-- owner (string key), queue (list key), holder ('<owner id>:<token>'), channel, wake_prefix.
-- Releases only if still the holder, so a retried or late release never frees a newer holder, and wakes the head of
-- the fair queue, if any (herd-free: one wake-up). Returns 1 if released, 0 if it was no longer held.
local function release_lock(owner, queue, holder, channel, wake_prefix, always)
  if redis.call('GET', owner) ~= holder then return 0 end
  redis.call('DEL', owner)
  announce(channel, 'r', always)
  wake_head(queue, wake_prefix)
  return 1
end
