using Latchkey.Conformance;

namespace Latchkey.Redis.Tests;

/// <summary>The conformance suite against one Redis in fair mode (<c>?fair=true</c>), which promises FIFO and herd-freedom.</summary>
public sealed class RedisFairConformanceTests : LockConformanceSuite
{
    private readonly string _prefix = RedisTestServer.NewPrefix("fair");

    protected override string? ChildProcessConnectionString => RedisTestServer.Single(_prefix, "&fair=true");

    protected override IEnumerable<string> MalformedConnectionStrings => RedisTestServer.Malformed;

    protected override string? UnreachableConnectionString => RedisTestServer.Unreachable();

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Single(_prefix, "&fair=true")));

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Single(_prefix, "&fair=true"), options));
}
