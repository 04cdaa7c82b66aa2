using Latchkey.Conformance;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>The shared conformance suite over TLS, against the ZooKeeper in $LATCHKEY_ZK_TLS (CA in $LATCHKEY_ZK_TLS_CA).</summary>
public sealed class ZooKeeperTlsConformanceTests : LockConformanceSuite
{
    private static string Server => $"{TestServers.Require("LATCHKEY_ZK_TLS")}?ca={TestServers.Require("LATCHKEY_ZK_TLS_CA")}";

    protected override string? ChildProcessConnectionString => Server;

    protected override IEnumerable<string> MalformedConnectionStrings =>
    [
        "zks://127.0.0.1:2281?tls=false",
        "zks://127.0.0.1:2281?cert=client.pem",
        "zk://127.0.0.1:2281?serverName=zk.example",
    ];

    protected override string? UnreachableConnectionString => "zks://127.0.0.1:1?connectTimeout=2s";

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(Server));

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(Server, options));
}
