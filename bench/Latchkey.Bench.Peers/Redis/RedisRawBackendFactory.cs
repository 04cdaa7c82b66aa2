using Latchkey.Backend;

namespace Latchkey.Bench.Peers.Redis;

/// <summary>Creates <c>peer-redis-raw://host:port</c> backends (not locks: see <see cref="PeerSchemes.RedisRaw"/>).</summary>
public sealed class RedisRawBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var endpoint = PeerAddress.Single(connectionString, 6379);
        connectionString.ThrowOnUnknownParameters();
        return new RedisRawBackend(endpoint);
    }
}
