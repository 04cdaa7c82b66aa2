using Latchkey.Conformance;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// The conformance suite once more on etcd, with every optimization off (the internal <c>optimizations=none</c>):
/// the plain queue — enter, decide, wait for the predecessor, re-check — must be correct on its own.
/// </summary>
public sealed class EtcdPlainConformanceTests : LockConformanceSuite
{
    private readonly string _prefix = "lk-plain-" + Guid.NewGuid().ToString("N");

    protected override string? ChildProcessConnectionString => ConnectionString();

    protected override IEnumerable<string> MalformedConnectionStrings =>
    [
        "etcd://127.0.0.1:2379?optimizations=turbo",
        "etcd://127.0.0.1:2379?optimizations=1",
        "etcd://127.0.0.1:2379?optimizations=",
    ];

    protected override string? UnreachableConnectionString => "etcd://127.0.0.1:1?connectTimeout=2s&optimizations=none";

    protected override TimeSpan ConnectTimeoutBound => TimeSpan.FromSeconds(3);

    protected override ValueTask<ILockProvider> CreateProviderAsync()
    {
        var provider = LockProvider.Connect(ConnectionString());
        Assert.Equal(EtcdOptimizations.None, EtcdProbe.BackendOf(provider).Settings.Optimizations);
        return ValueTask.FromResult(provider);
    }

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(ConnectionString(), options));

    private string ConnectionString() => $"{TestServers.Require("LATCHKEY_ETCD")}?prefix={_prefix}&ttl=5s&optimizations=none";
}
