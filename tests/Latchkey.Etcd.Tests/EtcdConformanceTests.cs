using Latchkey.Conformance;

namespace Latchkey.Etcd.Tests;

/// <summary>The conformance suite against the etcd of ./test.sh, each test under a key prefix of its own.</summary>
public sealed class EtcdConformanceTests : LockConformanceSuite
{
    private readonly string _prefix = "lk-conf-" + Guid.NewGuid().ToString("N");

    protected override string? ChildProcessConnectionString => ConnectionString();

    protected override IEnumerable<string> MalformedConnectionStrings =>
    [
        "etcd://127.0.0.1:2379?ttl=1s",
        "etcd://127.0.0.1:2379?ttl=2.5s",
        "etcd://127.0.0.1:2379?ttl=banana",
        "etcd://127.0.0.1:2379?colour=blue",
        "etcd://127.0.0.1:99999",
        "etcd://?ttl=10s",
        "etcd://127.0.0.1:2379?ca=/tmp/ca.pem",
        "etcd://127.0.0.1:2379/p?prefix=q",
    ];

    protected override string? UnreachableConnectionString => "etcd://127.0.0.1:1?connectTimeout=2s";

    protected override TimeSpan ConnectTimeoutBound => TimeSpan.FromSeconds(3);

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(ConnectionString()));

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(ConnectionString(), options));

    private string ConnectionString() => $"{TestServers.Require("LATCHKEY_ETCD")}?prefix={_prefix}&ttl=5s";
}
