using Latchkey.Conformance;

namespace Latchkey.Redis.Tests;

/// <summary>The conformance suite against one Redis, in the default (non-fair) mode.</summary>
public sealed class RedisConformanceTests : LockConformanceSuite
{
    private readonly string _prefix = RedisTestServer.NewPrefix("conf");

    protected override string? ChildProcessConnectionString => RedisTestServer.Single(_prefix);

    protected override IEnumerable<string> MalformedConnectionStrings => RedisTestServer.Malformed;

    protected override string? UnreachableConnectionString => RedisTestServer.Unreachable();

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Single(_prefix)));

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Single(_prefix), options));
}
