using Latchkey.Backend;
using Latchkey.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Latchkey.ZooKeeper;

/// <summary>
/// Creates <c>zk://host[:port][,host[:port]…][/chroot][?sessionTimeout=10s&amp;connectTimeout=5s&amp;auth=user:password&amp;layout=latchkey|curator]</c>
/// backends (credentials may also come as <c>zk://user:password@host…</c>). The default port is 2181.
/// TLS to the servers' <c>secureClientPort</c>: <c>zks://host:port…?ca=ca.pem&amp;cert=client.pem&amp;key=client-key.pem&amp;serverName=zk.example</c>
/// (or <c>zk://…?tls=true&amp;…</c>); <c>ca</c> defaults to the system's CAs, <c>cert</c>/<c>key</c> to no client certificate.
/// </summary>
public sealed class ZooKeeperLockBackendFactory : ILockBackendFactory
{
    /// <inheritdoc/>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        if (connectionString.Endpoints.Count == 0)
        {
            throw new FormatException($"zk:// needs at least one host, as in 'zk://127.0.0.1:2181/app'; got '{connectionString}'.");
        }

        var sessionTimeout = connectionString.GetDuration("sessionTimeout") ?? TimeSpan.FromSeconds(10);
        var connectTimeout = connectionString.GetDuration("connectTimeout") ?? TimeSpan.FromSeconds(5);
        var auth = connectionString.GetString("auth");
        var layout = ZooKeeperLayout.Parse(connectionString.GetString("layout"));
        var tls = Tls(connectionString);
        connectionString.ThrowOnUnknownParameters();
        if (sessionTimeout < TimeSpan.FromMilliseconds(100) || sessionTimeout > TimeSpan.FromHours(1))
        {
            throw new FormatException($"zk:// sessionTimeout must be from 100ms to 1h; got {sessionTimeout}.");
        }

        if (connectTimeout <= TimeSpan.Zero || connectTimeout > TimeSpan.FromMinutes(10))
        {
            throw new FormatException($"zk:// connectTimeout must be more than zero and at most 10m; got {connectTimeout}.");
        }

        var credentials = new List<ZooKeeperAuth>();
        if (connectionString.UserName is { } user)
        {
            credentials.Add(ZooKeeperAuth.Digest(user, connectionString.Password ?? string.Empty));
        }

        if (auth is not null)
        {
            var colon = auth.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"zk:// auth must be 'user:password'; got '{auth}'.");
            }

            credentials.Add(ZooKeeperAuth.Digest(auth[..colon], auth[(colon + 1)..]));
        }

        var clientOptions = new ZooKeeperClientOptions
        {
            Hosts = [.. connectionString.Endpoints.Select(e => (e.Host, e.PortOr(ZooKeeperClientOptions.DefaultPort)))],
            Chroot = ZooKeeperClientOptions.NormalizeChroot(connectionString.Path),
            SessionTimeout = sessionTimeout,
            ConnectTimeout = connectTimeout,
            Auth = credentials,

            // With credentials, nodes are readable and writable only by the same identity.
            DefaultAcl = credentials.Count > 0 ? ZooKeeperAcl.CreatorAll : ZooKeeperAcl.OpenUnsafe,
            TimeProvider = options.TimeProvider,
            Tls = tls,
        };
        return new ZooKeeperLockBackend(clientOptions, layout, connectionString.ToString(), options.LoggerFactory.CreateLogger("Latchkey.ZooKeeper"));
    }

    private static ZooKeeperTls? Tls(LockConnectionString connectionString)
    {
        var secureScheme = connectionString.Scheme switch
        {
            "zk" => false,
            "zks" => true,
            var other => throw new FormatException($"The ZooKeeper backend serves 'zk://' and 'zks://' (TLS); got '{other}://'."),
        };
        var tls = connectionString.GetString("tls") switch
        {
            null => secureScheme,
            "true" => true,
            "false" when !secureScheme => false,
            var other => throw new FormatException($"zk:// tls must be 'true' or 'false' ('zks://' is always TLS); got '{other}'."),
        };
        var ca = connectionString.GetString("ca");
        var cert = connectionString.GetString("cert");
        var key = connectionString.GetString("key");
        var serverName = connectionString.GetString("serverName");
        if (!tls)
        {
            return (ca ?? cert ?? key ?? serverName) is null ? null
                : throw new FormatException("The 'ca', 'cert', 'key' and 'serverName' parameters need TLS: use 'zks://' or add 'tls=true'.");
        }

        return ZooKeeperTls.Load(ca, cert, key, serverName);
    }
}
