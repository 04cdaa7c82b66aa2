using Latchkey.Backend;

namespace Latchkey.Etcd;

/// <summary>
/// Creates etcd backends from <c>etcd://[user:password@]host[:port][,host[:port]…][/prefix][?ttl=30s&amp;prefix=latchkey&amp;layout=latchkey|etcd&amp;connectTimeout=5s&amp;requestTimeout=10s]</c>
/// or <c>etcds://…?ca=ca.pem&amp;cert=client.pem&amp;key=client-key.pem</c>. Registered for both schemes, so
/// <see cref="LockProvider.Connect"/> finds it when <c>Latchkey.Etcd.dll</c> is beside the application.
/// </summary>
public sealed class EtcdLockBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    /// <exception cref="FormatException">The connection string has a malformed, unknown or out-of-range parameter.</exception>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        return new EtcdLockBackend(EtcdSettings.Parse(connectionString), options);
    }
}
