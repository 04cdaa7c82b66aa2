-- The acquires and releases of plain locks (exclusive, not fair, single Redis) that several callers of one provider
-- asked for at the same time, in one call (see LockBatcher): for each op in turn, what acquire.lua or release.lua
-- does for such a lock. One call instead of one per op spares the server its per-call cost.
-- KEYS: per op i, KEYS[2i-1] owner (string); KEYS[2i] fence (counter) for an acquire, queue (list) for a release
-- ARGV: 1 wake channel prefix; per op i, from ARGV[4i-2]: kind ('a' acquire, 'r' release), owner id (acquire) or
--       holder record '<owner id>:<token>' (release), ttl ms (acquire; '' for a release), lock channel
-- Returns, per op: an acquire's fencing token (> 0) if it acquired, else -(ms until the fallback retry) - 1;
--                  a release's 1 if it released, 0 if the record was no longer the holder (a retried or late release
--                  never frees a newer holder).
local out = {}
for i = 1, #KEYS / 2 do
  local owner, other = KEYS[2 * i - 1], KEYS[2 * i]
  local a = 4 * i - 2
  local kind, id, ttl, channel = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  if kind == 'a' then
    local p = redis.call('PTTL', owner)
    if p ~= -2 then
      if p < 0 then p = tonumber(ttl) end
      out[i] = -p - 1
    else
      local token = redis.call('INCR', other)
      redis.call('SET', owner, id .. ':' .. token, 'PX', ttl)
      redis.call('PUBLISH', channel, 'a')
      out[i] = token
    end
  elseif redis.call('GET', owner) == id then
    redis.call('DEL', owner)
    redis.call('PUBLISH', channel, 'r')
    -- Fair waiters of other providers may queue on any lock: wake the head.
    local head = redis.call('LINDEX', other, 0)
    if head then redis.call('PUBLISH', ARGV[1] .. string.match(head, '^([^|]*)|'), head) end
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
