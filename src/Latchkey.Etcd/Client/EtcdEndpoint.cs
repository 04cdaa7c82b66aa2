using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd.Client;

/// <summary>One etcd member: its address, its HTTP/2 channel (created at first use) and its auth token.</summary>
internal sealed class EtcdEndpoint(Uri address, EtcdSettings settings) : IDisposable
{
    private readonly Lock _gate = new();
    private GrpcChannel? _channel;
    private KV.KVClient? _kv;
    private Lease.LeaseClient? _lease;
    private Watch.WatchClient? _watch;
    private Auth.AuthClient? _auth;

    public Uri Address { get; } = address;

    /// <summary>The auth token this member issued (simple tokens are per member), or <see langword="null"/>.</summary>
    public string? Token { get; set; }

    public GrpcChannel Channel
    {
        get
        {
            lock (_gate)
            {
                return _channel ??= CreateChannel();
            }
        }
    }

    public KV.KVClient Kv => _kv ??= new KV.KVClient(Channel);

    public Lease.LeaseClient Lease => _lease ??= new Lease.LeaseClient(Channel);

    public Watch.WatchClient Watch => _watch ??= new Watch.WatchClient(Channel);

    public Auth.AuthClient Auth => _auth ??= new Auth.AuthClient(Channel);

    public void Dispose()
    {
        lock (_gate)
        {
            _channel?.Dispose();
        }
    }

    public override string ToString() => Address.Authority;

    private GrpcChannel CreateChannel()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = settings.ConnectTimeout,

            // HTTP/2 pings find a dead connection that TCP alone would leave hanging under a watch or keep-alive stream.
            KeepAlivePingDelay = TimeSpan.FromSeconds(Math.Clamp(settings.Ttl.TotalSeconds / 3, 1, 10)),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(Math.Clamp(settings.Ttl.TotalSeconds / 3, 1, 10)),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
        };

        if (settings.UseTls)
        {
            ConfigureTls(handler.SslOptions);
        }

        return GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            ThrowOperationCanceledOnCancellation = true,
            MaxReceiveMessageSize = 64 * 1024 * 1024,

            // gRPC's default back-off between connection attempts grows to two minutes: after a partition heals, a
            // client that kept trying would stay out for seconds. A lock client must come back at once; an attempt
            // to a member that is down costs one refused connect.
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
            MaxReconnectBackoff = TimeSpan.FromMilliseconds(500),
        });
    }

    private void ConfigureTls(SslClientAuthenticationOptions ssl)
    {
        if (settings.CertFile is not null && settings.KeyFile is not null)
        {
            // PEM files as etcd's own tools take them; re-import so the private key is usable on every platform.
            using var pem = X509Certificate2.CreateFromPemFile(settings.CertFile, settings.KeyFile);
            ssl.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }

        if (settings.CaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(settings.CaFile);
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false; // a name mismatch stays an error
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = new X509Certificate2(certificate);
                return chain.Build(leaf);
            };
        }
    }
}
