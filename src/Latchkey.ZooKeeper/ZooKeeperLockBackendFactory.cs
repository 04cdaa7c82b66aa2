using Latchkey.Backend;

namespace Latchkey.ZooKeeper;

/// <summary>Creates <c>zk://</c> backends.</summary>
public sealed class ZooKeeperLockBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options) => throw new NotImplementedException();
}
