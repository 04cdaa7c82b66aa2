-- Replaces a leader's election value, only if it still leads.
-- Returns 1 if replaced, 0 if no longer the leader.
local K = {owner = KEYS[1], value = KEYS[2]}
-- holder: '<owner id>:<token>'; value: the new one; channel: the lock's
local A = {holder = ARGV[1], value = ARGV[2], channel = ARGV[3]}
if redis.call('GET', K.owner) ~= A.holder then return 0 end
local ttl = redis.call('PTTL', K.owner)
if ttl <= 0 then return 0 end
redis.call('SET', K.value, A.value, 'PX', ttl)
redis.call('PUBLISH', A.channel, 'v')
return 1
