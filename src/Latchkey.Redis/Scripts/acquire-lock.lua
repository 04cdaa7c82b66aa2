-- acquire.lua for its most common case: a lock asked for alone (batch-lock.lua does several at once).
-- fair = '1': the fair rule of acquire_fair (queue, deadlines, member, wait, wake_prefix); else barging.
-- always = '1': announce on the channel even with no subscriber counted (a Redis Cluster).
-- Returns the token (> 0) if acquired, else -(ms until the fallback retry) - 1.
local K = {owner = KEYS[1], fence = KEYS[2], queue = KEYS[3], deadlines = KEYS[4]}
local A = {id = ARGV[1], ttl = ARGV[2], channel = ARGV[3], fair = ARGV[4], wait = ARGV[5], member = ARGV[6], wake_prefix = ARGV[7], always = ARGV[8]}
if A.fair == '1' then
  return acquire_fair(K.owner, K.fence, K.queue, K.deadlines, A.id, A.ttl, A.channel, A.member, A.wake_prefix, A.wait, A.always)
end
return acquire_lock(K.owner, K.fence, A.id, A.ttl, A.channel, A.always)
