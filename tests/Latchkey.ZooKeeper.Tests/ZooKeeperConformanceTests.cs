using Latchkey.Conformance;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>The shared conformance suite against the ZooKeeper in $LATCHKEY_ZK.</summary>
public sealed class ZooKeeperConformanceTests : LockConformanceSuite
{
    private static string Server => TestServers.Require("LATCHKEY_ZK");

    protected override string? ChildProcessConnectionString => Server;

    protected override IEnumerable<string> MalformedConnectionStrings =>
    [
        "zk://127.0.0.1:99999",
        "zk://127.0.0.1:2181?sessionTimeout=soon",
        "zk://127.0.0.1:2181?colour=blue",
        "zk://127.0.0.1:2181/app//x",
        "zk://127.0.0.1:2181?auth=nocolon",
    ];

    protected override string? UnreachableConnectionString => "zk://127.0.0.1:1?connectTimeout=2s";

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(Server));

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(Server, options));
}
