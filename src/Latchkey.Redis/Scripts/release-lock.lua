-- release.lua for a plain exclusive lock whose holder record is known: only if it is still the holder, so a retried
-- or late release never frees a newer holder. Fair waiters of other providers may queue on any lock: wake the head.
-- KEYS: 1 owner (string), 2 queue (list)
-- ARGV: 1 holder ('<owner id>:<token>'), 2 lock channel, 3 wake channel prefix
-- Returns 1 if released, 0 if it was no longer held.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], 'r')
local head = redis.call('LINDEX', KEYS[2], 0)
if head then redis.call('PUBLISH', ARGV[3] .. string.match(head, '^([^|]*)|'), head) end
return 1
