using Latchkey.Backend;

namespace Latchkey.Bench.Peers.Redis;

/// <summary>Creates <c>peer-distributedlock-redis://host:port</c> backends.</summary>
public sealed class DistributedLockRedisBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var endpoint = PeerAddress.Single(connectionString, 6379);
        connectionString.ThrowOnUnknownParameters();
        return new DistributedLockRedisBackend(endpoint);
    }
}
