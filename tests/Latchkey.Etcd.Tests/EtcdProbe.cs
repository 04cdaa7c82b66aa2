using Google.Protobuf;
using Grpc.Net.Client;
using Latchkey.Conformance;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// A second, raw etcd client for the tests: lists what a provider left under its prefix, revokes its
/// lease, deletes its keys behind its back. It shares nothing with the providers under test.
/// </summary>
internal sealed class EtcdProbe : IDisposable
{
    private readonly GrpcChannel _channel;

    public EtcdProbe()
    {
        ConnectionString = TestServers.Require("LATCHKEY_ETCD");
        HostPort = new Uri(ConnectionString.Replace("etcd://", "http://", StringComparison.Ordinal)).Authority;
        _channel = GrpcChannel.ForAddress("http://" + HostPort);
        Kv = new KV.KVClient(_channel);
        Lease = new Lease.LeaseClient(_channel);
    }

    /// <summary>The etcd of ./test.sh, as <c>etcd://host:port</c>.</summary>
    public string ConnectionString { get; }

    public string HostPort { get; }

    public KV.KVClient Kv { get; }

    public Lease.LeaseClient Lease { get; }

    public static string NewPrefix() => "lk-test-" + Guid.NewGuid().ToString("N");

    /// <summary>A connection string to this etcd with its own prefix and TTL.</summary>
    public string For(string prefix, int ttlSeconds = 5, string hostPort = "") =>
        $"etcd://{(hostPort.Length > 0 ? hostPort : HostPort)}?prefix={prefix}&ttl={ttlSeconds}s";

    public async Task<IReadOnlyList<KeyValue>> ListAsync(string prefix)
    {
        var key = ByteString.CopyFromUtf8(prefix + "/");
        var response = await Kv.RangeAsync(new RangeRequest { Key = key, RangeEnd = EtcdKeyspace.RangeEnd(key) }, cancellationToken: TestContext.Current.CancellationToken);
        return response.Kvs;
    }

    public async Task RevokeAsync(long lease) =>
        await Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, cancellationToken: TestContext.Current.CancellationToken);

    public async Task DeleteAsync(ByteString key) =>
        await Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = key }, cancellationToken: TestContext.Current.CancellationToken);

    public static EtcdLockBackend BackendOf(ILockProvider provider) => (EtcdLockBackend)((LockProvider)provider).Backend;

    public void Dispose() => _channel.Dispose();
}
