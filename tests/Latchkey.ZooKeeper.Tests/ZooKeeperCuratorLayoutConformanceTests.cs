using Latchkey.Conformance;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>The shared conformance suite with <c>layout=curator</c>, against the ZooKeeper in $LATCHKEY_ZK.</summary>
public sealed class ZooKeeperCuratorLayoutConformanceTests : LockConformanceSuite
{
    private static string Server => TestServers.Require("LATCHKEY_ZK") + "?layout=curator";

    protected override string? ChildProcessConnectionString => Server;

    protected override IEnumerable<string> MalformedConnectionStrings =>
    [
        "zk://127.0.0.1:2181?layout=jvm",
    ];

    protected override string? UnreachableConnectionString => "zk://127.0.0.1:1?layout=curator&connectTimeout=2s";

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(Server));

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(Server, options));
}
