using Latchkey.Backend;
using Latchkey.Redis;

[assembly: LockBackendScheme("redis", typeof(RedisLockBackendFactory))]
[assembly: LockBackendScheme("rediss", typeof(RedisLockBackendFactory))]
