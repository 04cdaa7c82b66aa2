namespace Latchkey.Bench.Peers;

/// <summary>The connection-string schemes of the peers, all prefixed <c>peer-</c> so no one mistakes them for Latchkey's own.</summary>
public static class PeerSchemes
{
    /// <summary>madelson's DistributedLock.Redis <c>RedisDistributedLock</c>: <c>peer-distributedlock-redis://host:port</c>.</summary>
    public const string DistributedLockRedis = "peer-distributedlock-redis";

    /// <summary>Not a lock: one <c>SET</c> of a key unique per acquisition, then one <c>DEL</c>. <c>peer-redis-raw://host:port</c>.</summary>
    public const string RedisRaw = "peer-redis-raw";

    /// <summary>etcd's server-side lock (the v3lock Lock/Unlock RPCs): <c>peer-etcd-v3lock://host:port</c>.</summary>
    public const string EtcdV3Lock = "peer-etcd-v3lock";

    /// <summary>Not a lock: one Put of a key unique per acquisition, then one Delete. <c>peer-etcd-putdelete://host:port</c>.</summary>
    public const string EtcdPutDelete = "peer-etcd-putdelete";
}
