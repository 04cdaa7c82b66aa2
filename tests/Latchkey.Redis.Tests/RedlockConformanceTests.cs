using Latchkey.Conformance;

namespace Latchkey.Redis.Tests;

/// <summary>The conformance suite against three independent Redis masters by Redlock.</summary>
public sealed class RedlockConformanceTests : LockConformanceSuite
{
    private readonly string _prefix = RedisTestServer.NewPrefix("redlock");

    protected override string? ChildProcessConnectionString => RedisTestServer.Redlock(_prefix);

    protected override IEnumerable<string> MalformedConnectionStrings => RedisTestServer.Malformed;

    protected override string? UnreachableConnectionString => "redis://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3?mode=redlock&connectTimeout=1s";

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Redlock(_prefix)));

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Redlock(_prefix), options));
}
