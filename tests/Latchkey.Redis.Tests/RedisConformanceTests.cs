using Latchkey.Conformance;

namespace Latchkey.Redis.Tests;

/// <summary>The conformance suite against one Redis, in the default (non-fair) mode.</summary>
public sealed class RedisConformanceTests : LockConformanceSuite
{
    private readonly string _prefix = RedisTestServer.NewPrefix("conf");

    protected override string? ChildProcessConnectionString => RedisTestServer.ForWorker(RedisTestServer.Single(_prefix));

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Single(_prefix)));
}
