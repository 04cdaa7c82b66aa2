-- The acquires and releases of locks that several callers of one provider asked for at the same time, in one call
-- (see LockBatcher): for each op in turn, acquire_lock, acquire_fair or release_lock of lock.lua. One call instead
-- of one per op spares the server its per-call cost.
-- Its KEYS and ARGV repeat per op, so it names positions within an op's group instead of a KEYS/ARGV table:
-- KEYS: per op i, from 4i-3: owner (string), fence (counter), queue (list), deadlines (zset)
-- ARGV: 1 wake channel prefix; 2 always announce ('1' on a Redis Cluster); per op i, from 5i-2: kind ('a' barging
--       acquire, 'f' fair acquire, 'w' fair acquire that joins the queue if not acquired, 'r' release), owner id
--       (acquire) or holder record '<owner id>:<token>' (release), ttl ms ('' for a release), lock channel, fair
--       queue member ('' unless fair)
-- Returns, per op, what acquire_lock, acquire_fair or release_lock returned.
local wake_prefix, always = ARGV[1], ARGV[2]
local out = {}
for i = 1, #KEYS / 4 do
  local k = 4 * i - 3
  local owner, fence, queue, deadlines = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local a = 5 * i - 2
  local kind, record, ttl, channel, member = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  if kind == 'a' then
    out[i] = acquire_lock(owner, fence, record, ttl, channel, always)
  elseif kind == 'r' then
    out[i] = release_lock(owner, queue, record, channel, wake_prefix, always)
  else
    out[i] = acquire_fair(owner, fence, queue, deadlines, record, ttl, channel, member, wake_prefix, kind == 'w' and '1' or '0', always)
  end
end
return out
