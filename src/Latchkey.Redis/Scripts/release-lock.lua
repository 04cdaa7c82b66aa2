-- release.lua for a lock (fair or not) whose holder record is known. Returns 1 if released, 0 if it was no longer held.
local K = {owner = KEYS[1], queue = KEYS[2]}
local A = {holder = ARGV[1], channel = ARGV[2], wake_prefix = ARGV[3], always = ARGV[4]}
return release_lock(K.owner, K.queue, A.holder, A.channel, A.wake_prefix, A.always)
