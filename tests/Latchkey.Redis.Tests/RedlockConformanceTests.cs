using Latchkey.Conformance;

namespace Latchkey.Redis.Tests;

/// <summary>The conformance suite against three independent Redis masters by Redlock.</summary>
public sealed class RedlockConformanceTests : LockConformanceSuite
{
    private readonly string _prefix = RedisTestServer.NewPrefix("redlock");

    protected override string? ChildProcessConnectionString => RedisTestServer.ForWorker(RedisTestServer.Redlock(_prefix));

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Redlock(_prefix)));
}
