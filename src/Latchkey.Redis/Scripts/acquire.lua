-- One attempt to acquire a lock, a reader/writer side, or a semaphore permit, and take a fencing token.
-- Returns {1, token} when acquired, else {0, ms until the fallback retry}.
local K = {
  owner = KEYS[1],     -- string: lock, leader, writer, or one Redlock semaphore slot ('k')
  holders = KEYS[2],   -- zset: permits, readers (and a Redlock semaphore's slot holders, for status); score = expiry
  fence = KEYS[3],     -- counter
  queue = KEYS[4],     -- list: fair-mode waiters, oldest first
  deadlines = KEYS[5], -- zset: each fair-mode waiter's deadline
  value = KEYS[6],     -- string: the election value
  intent = KEYS[7],    -- string: a waiting writer's intent, which keeps new readers out
}
local A = {
  mode = ARGV[1],        -- x exclusive, s semaphore, w writer, r reader, k Redlock semaphore slot (RedisLockMode)
  id = ARGV[2],          -- owner id
  ttl = ARGV[3],         -- ms
  permits = ARGV[4],
  fair = ARGV[5],        -- 0/1
  wait = ARGV[6],        -- 0/1: queue up (fair) or announce a writer's intent if not acquired
  member = ARGV[7],      -- fair queue member: '<provider>|<waiter>|<mode>'
  wake_prefix = ARGV[8], -- + provider: the channel that wakes that provider's fair waiters
  channel = ARGV[9],     -- the lock's channel
  value = ARGV[10],      -- election value ('' for none)
  floor = ARGV[11],      -- Redlock: the token is at least this (0 otherwise)
}
-- Who holds restates the core's queue rule (Latchkey.Backend.QueueDecision, used by ZooKeeper, etcd and memory) in
-- the terms of these keys: the first N hold (a semaphore of N permits; N = 1 otherwise); a reader holds while no
-- writer is ahead of it (holding, or waiting: the fair queue's head or a writer's intent); everyone else waits.
-- RedisQueueRuleTests checks on a real Redis that this script (and lock.lua's acquire_fair) decides as QueueDecision.For does.
local mode, id, ttl, permits = A.mode, A.id, tonumber(A.ttl), tonumber(A.permits)
local fair, wait, member = A.fair == '1', A.wait == '1', A.member
local now = server_now()

local function soonest(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then return math.max(tonumber(first[2]) - now, 0) end
  return ttl
end

if mode ~= 'x' then
  redis.call('ZREMRANGEBYSCORE', K.holders, '-inf', now)
end

if fair then
  -- A waiter that stopped refreshing its place (crashed, cut off) leaves the queue.
  local dead = redis.call('ZRANGEBYSCORE', K.deadlines, '-inf', now)
  for _, m in ipairs(dead) do redis.call('LREM', K.queue, 1, m) end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', K.deadlines, '-inf', now) end
end

local free, hint = true, 0
if mode == 'x' or mode == 'k' then
  local p = redis.call('PTTL', K.owner)
  if p ~= -2 then free, hint = false, p end
elseif mode == 's' then
  if redis.call('ZCARD', K.holders) >= permits then free, hint = false, soonest(K.holders) end
elseif mode == 'w' then
  local p = redis.call('PTTL', K.owner)
  if p ~= -2 then free, hint = false, p
  elseif redis.call('ZCARD', K.holders) > 0 then free, hint = false, soonest(K.holders) end
else
  local p = redis.call('PTTL', K.owner)
  if p ~= -2 then free, hint = false, p
  else
    local intent = redis.call('PTTL', K.intent)
    if intent ~= -2 then free, hint = false, intent end
  end
end

if free and fair then
  local head = redis.call('LINDEX', K.queue, 0)
  if head and head ~= member then
    free = false
    local d = redis.call('ZSCORE', K.deadlines, head)
    hint = d and math.max(tonumber(d) - now, 0) or 0
    -- The head may have missed its wake-up; a second one is harmless.
    wake(head, A.wake_prefix)
  end
end

if free then
  if fair then
    redis.call('LREM', K.queue, 1, member)
    redis.call('ZREM', K.deadlines, member)
  end
  local token = next_token(K.fence, ttl, A.floor)
  local holder = id .. ':' .. string.format('%d', token)
  if mode == 'k' then
    redis.call('SET', K.owner, holder, 'PX', ttl)
    redis.call('ZADD', K.holders, now + ttl, holder)
    keep_until_last(K.holders)
  elseif mode == 'x' or mode == 'w' then
    redis.call('SET', K.owner, holder, 'PX', ttl)
    if A.value ~= '' then redis.call('SET', K.value, A.value, 'PX', ttl) end
    if redis.call('GET', K.intent) == id then redis.call('DEL', K.intent) end
  else
    redis.call('ZADD', K.holders, now + ttl, holder)
    keep_until_last(K.holders)
  end
  if fair then
    -- Wake the next waiter only if it may be admitted too (another permit, another reader).
    local head = redis.call('LINDEX', K.queue, 0)
    if head then
      local kind = string.sub(head, -1)
      if (mode == 's' and redis.call('ZCARD', K.holders) < permits) or (mode == 'r' and kind == 'r') then wake(head, A.wake_prefix) end
    end
  end
  redis.call('PUBLISH', A.channel, 'a')
  return {1, token}
end

if wait then
  if fair then
    if not redis.call('ZSCORE', K.deadlines, member) then
      redis.call('RPUSH', K.queue, member)
      redis.call('PUBLISH', A.channel, 'q')
    end
    redis.call('ZADD', K.deadlines, now + ttl, member)
    redis.call('PEXPIREAT', K.queue, keep_until_last(K.deadlines))
  elseif mode == 'w' then
    -- A waiting writer keeps new readers out, so writers are not starved.
    local intent = redis.call('GET', K.intent)
    if not intent or intent == id then redis.call('SET', K.intent, id, 'PX', ttl) end
  end
end
if hint < 0 then hint = ttl end
return {0, hint}
