using Latchkey.Backend;
using Latchkey.Bench.Peers;
using Latchkey.Bench.Peers.Etcd;
using Latchkey.Bench.Peers.Redis;

[assembly: LockBackendScheme(PeerSchemes.DistributedLockRedis, typeof(DistributedLockRedisBackendFactory))]
[assembly: LockBackendScheme(PeerSchemes.RedisRaw, typeof(RedisRawBackendFactory))]
[assembly: LockBackendScheme(PeerSchemes.EtcdV3Lock, typeof(EtcdV3LockBackendFactory))]
[assembly: LockBackendScheme(PeerSchemes.EtcdPutDelete, typeof(EtcdPutDeleteBackendFactory))]
