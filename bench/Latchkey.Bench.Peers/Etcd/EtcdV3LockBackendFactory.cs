using Latchkey.Backend;

namespace Latchkey.Bench.Peers.Etcd;

/// <summary>Creates <c>peer-etcd-v3lock://host:port[?ttl=30s]</c> backends.</summary>
public sealed class EtcdV3LockBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return new EtcdV3LockBackend(PeerEtcdSettings.CreateSession(connectionString));
    }
}
