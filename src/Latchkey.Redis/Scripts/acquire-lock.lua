-- acquire.lua for its most common case: a plain lock asked for alone (batch-lock.lua does several at once).
-- Same keys' meaning; returns the token (> 0) if acquired, else -(ms until the fallback retry) - 1.
local K = {owner = KEYS[1], fence = KEYS[2]}
local A = {id = ARGV[1], ttl = ARGV[2], channel = ARGV[3]}
return acquire_lock(K.owner, K.fence, A.id, A.ttl, A.channel)
