using Latchkey.Backend;

namespace Latchkey.Bench.Peers.Etcd;

/// <summary>Creates <c>peer-etcd-putdelete://host:port[?ttl=30s]</c> backends (not locks: see <see cref="PeerSchemes.EtcdPutDelete"/>).</summary>
public sealed class EtcdPutDeleteBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return new EtcdPutDeleteBackend(PeerEtcdSettings.CreateSession(connectionString));
    }
}
