-- Replaces a leader's election value, only if it still leads.
-- KEYS: 1 owner (string), 2 value
-- ARGV: 1 holder ('<owner id>:<token>'), 2 value, 3 lock channel
-- Returns 1 if replaced, 0 if no longer the leader.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('PUBLISH', ARGV[3], 'v')
return 1
