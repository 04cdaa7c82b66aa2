-- The acquires and releases of plain locks that several callers of one provider asked for at the same time, in one
-- call (see LockBatcher): for each op in turn, acquire_lock or release_lock of lock.lua. One call instead of one per
-- op spares the server its per-call cost.
-- Its KEYS and ARGV repeat per op, so it names positions within an op's group instead of a KEYS/ARGV table:
-- KEYS: per op i, from 2i-1: owner (string); fence (counter) for an acquire, queue (list) for a release
-- ARGV: 1 wake channel prefix; per op i, from 4i-2: kind ('a' acquire, 'r' release), owner id (acquire) or
--       holder record '<owner id>:<token>' (release), ttl ms (acquire; '' for a release), lock channel
-- Returns, per op, what acquire_lock or release_lock returned.
local wake_prefix = ARGV[1]
local out = {}
for i = 1, #KEYS / 2 do
  local owner, other = KEYS[2 * i - 1], KEYS[2 * i]
  local a = 4 * i - 2
  local kind, record, ttl, channel = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  if kind == 'a' then
    out[i] = acquire_lock(owner, other, record, ttl, channel)
  else
    out[i] = release_lock(owner, other, record, channel, wake_prefix)
  end
end
return out
