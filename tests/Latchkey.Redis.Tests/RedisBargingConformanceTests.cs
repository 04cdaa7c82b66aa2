using Latchkey.Conformance;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>The conformance suite against one Redis in the barging mode (<c>?fair=false</c>), which promises neither FIFO nor herd-freedom.</summary>
public sealed class RedisBargingConformanceTests : LockConformanceSuite
{
    private readonly string _prefix = RedisTestServer.NewPrefix("barge");

    protected override string? ChildProcessConnectionString => RedisTestServer.Single(_prefix, "&fair=false");

    protected override IEnumerable<string> MalformedConnectionStrings => RedisTestServer.Malformed;

    protected override string? UnreachableConnectionString => RedisTestServer.Unreachable();

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Single(_prefix, "&fair=false")));

    protected override ValueTask<ILockProvider> CreateProviderAsync(LockProviderOptions options) =>
        ValueTask.FromResult(LockProvider.Connect(RedisTestServer.Single(_prefix, "&fair=false"), options));

    [Fact]
    public void Capabilities_WhenBarging_PromiseNeitherFairnessNorHerdFreedom()
    {
        Assert.False(Provider.Capabilities.Fair);
        Assert.False(Provider.Capabilities.HerdFree);
    }
}
