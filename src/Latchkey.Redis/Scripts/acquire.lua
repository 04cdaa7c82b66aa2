-- One attempt to acquire a lock, a reader/writer side, or a semaphore permit, and take a fencing token.
-- KEYS: 1 owner (string: lock, leader, writer), 2 holders (zset: permits, readers; score = expiry, server ms),
--       3 fence (counter), 4 queue (list, fair mode), 5 queue deadlines (zset, server ms), 6 value (election),
--       7 writer intent (string)
-- ARGV: 1 mode (x exclusive string, s semaphore, w writer, r reader, k Redlock semaphore slot: KEYS[1] is the slot,
--       KEYS[2] lists the slots' holders for status), 2 owner id, 3 ttl ms, 4 permits,
--       5 fair (0/1), 6 wait (0/1), 7 queue member ('<provider>|<waiter>|<mode>'), 8 wake channel prefix,
--       9 lock channel, 10 election value ('' for none), 11 token floor (Redlock; 0 otherwise)
-- Returns {1, token} when acquired, else {0, ms until the fallback retry}.
local mode, id, ttl, permits = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local fair, wait, member = ARGV[5] == '1', ARGV[6] == '1', ARGV[7]
-- Deadlines use the server's clock, never the clients'.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function soonest(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then return math.max(tonumber(first[2]) - now, 0) end
  return ttl
end

local function keep_until_last(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', key, last[2]) end
end

local function wake(head)
  redis.call('PUBLISH', ARGV[8] .. string.match(head, '^([^|]*)|'), head)
end

if mode ~= 'x' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
end

if fair then
  -- A waiter that stopped refreshing its place (crashed, cut off) leaves the queue.
  local dead = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now)
  for _, m in ipairs(dead) do redis.call('LREM', KEYS[4], 1, m) end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now) end
end

local free, hint = true, 0
if mode == 'x' or mode == 'k' then
  local p = redis.call('PTTL', KEYS[1])
  if p ~= -2 then free, hint = false, p end
elseif mode == 's' then
  if redis.call('ZCARD', KEYS[2]) >= permits then free, hint = false, soonest(KEYS[2]) end
elseif mode == 'w' then
  local p = redis.call('PTTL', KEYS[1])
  if p ~= -2 then free, hint = false, p
  elseif redis.call('ZCARD', KEYS[2]) > 0 then free, hint = false, soonest(KEYS[2]) end
else
  local p = redis.call('PTTL', KEYS[1])
  if p ~= -2 then free, hint = false, p
  else
    local intent = redis.call('PTTL', KEYS[7])
    if intent ~= -2 then free, hint = false, intent end
  end
end

if free and fair then
  local head = redis.call('LINDEX', KEYS[4], 0)
  if head and head ~= member then
    free = false
    local d = redis.call('ZSCORE', KEYS[5], head)
    hint = d and math.max(tonumber(d) - now, 0) or 0
    -- The head may have missed its wake-up; a second one is harmless.
    wake(head)
  end
end

if free then
  if fair then
    redis.call('LREM', KEYS[4], 1, member)
    redis.call('ZREM', KEYS[5], member)
  end
  local token = redis.call('INCR', KEYS[3])
  local floor = tonumber(ARGV[11])
  if token < floor then
    token = floor
    redis.call('SET', KEYS[3], token)
  end
  local holder = id .. ':' .. token
  if mode == 'k' then
    redis.call('SET', KEYS[1], holder, 'PX', ttl)
    redis.call('ZADD', KEYS[2], now + ttl, holder)
    keep_until_last(KEYS[2])
  elseif mode == 'x' or mode == 'w' then
    redis.call('SET', KEYS[1], holder, 'PX', ttl)
    if ARGV[10] ~= '' then redis.call('SET', KEYS[6], ARGV[10], 'PX', ttl) end
    if redis.call('GET', KEYS[7]) == id then redis.call('DEL', KEYS[7]) end
  else
    redis.call('ZADD', KEYS[2], now + ttl, holder)
    keep_until_last(KEYS[2])
  end
  if fair then
    -- Wake the next waiter only if it may be admitted too (another permit, another reader).
    local head = redis.call('LINDEX', KEYS[4], 0)
    if head then
      local kind = string.sub(head, -1)
      if (mode == 's' and redis.call('ZCARD', KEYS[2]) < permits) or (mode == 'r' and kind == 'r') then wake(head) end
    end
  end
  redis.call('PUBLISH', ARGV[9], 'a')
  return {1, token}
end

if wait then
  if fair then
    if not redis.call('ZSCORE', KEYS[5], member) then
      redis.call('RPUSH', KEYS[4], member)
      redis.call('PUBLISH', ARGV[9], 'q')
    end
    redis.call('ZADD', KEYS[5], now + ttl, member)
    keep_until_last(KEYS[5])
    redis.call('PEXPIREAT', KEYS[4], redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')[2])
  elseif mode == 'w' then
    -- A waiting writer keeps new readers out, so writers are not starved.
    local intent = redis.call('GET', KEYS[7])
    if not intent or intent == id then redis.call('SET', KEYS[7], id, 'PX', ttl) end
  end
end
if hint < 0 then hint = ttl end
return {0, hint}
