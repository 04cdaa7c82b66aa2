using Latchkey.Backend;

namespace Latchkey.Redis;

/// <summary>Creates Redis backends from <c>redis://</c> (and <c>rediss://</c>, TLS) connection strings.</summary>
public sealed class RedisLockBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        return new RedisLockBackend(RedisLockSettings.Parse(connectionString), options);
    }
}
