using Latchkey.Conformance;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>The conformance suite against one Redis in the default mode, which is fair: it promises FIFO and herd-freedom.</summary>
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

    [Fact]
    public void Capabilities_ByDefault_PromiseFairnessAndHerdFreedom()
    {
        Assert.True(Provider.Capabilities.Fair);
        Assert.True(Provider.Capabilities.HerdFree);
    }
}
