using Latchkey.Conformance;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>
/// Plain locks' acquires and releases that one provider's callers ask for together go to Redis several to a script
/// call (<see cref="LockBatcher"/>): they must stay exactly as correct as one call each.
/// </summary>
public sealed class RedisBatchingTests : IAsyncLifetime
{
    private readonly string _prefix = RedisTestServer.NewPrefix("batch");
    private readonly List<ILockProvider> _providers = [];
    private RedisAdmin _admin = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _admin = await RedisAdmin.ConnectAsync(RedisTestServer.Single("unused:"));

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        await _admin.DisposeAsync();
    }

    [Fact]
    public async Task LocksAskedForTogether_ShareScriptCalls_StayExclusive_AndTheirTokensIncrease()
    {
        var provider = Connect(RedisTestServer.Single(_prefix));
        using var calls = BackendCounter.Listen(provider, "latchkey.backend.calls");
        using var requests = BackendCounter.Listen(provider, "latchkey.backend.requests");
        var outcome = await ContentionLoad.RunAsync([provider], "lock", callers: 32, locks: 4, cycles: 25, RedisTestExtensions.Patience, Cancel);

        Assert.Equal(0, outcome.Overlaps);
        Assert.Equal(0, outcome.TokensNotIncreasing);
        Assert.True(requests.Value > calls.Value, $"{requests.Value} ops went in {calls.Value} calls: none shared a call.");
        TestContext.Current.TestOutputHelper?.WriteLine($"{requests.Value} ops in {calls.Value} script calls");

        // Every owner record was released: only the fence counters remain.
        Assert.All(_admin.KeysUnder(_prefix), k => Assert.EndsWith(":fence", k, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenTheServerStopsAnswering_EveryWaitingOpFailsClearly_AndTheProviderRecovers()
    {
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(new Uri(RedisTestServer.Single(_prefix)).Authority));
        var provider = Connect($"redis://{proxy.Address}?prefix={_prefix}&timeout=1s");
        await (await provider.CreateLock("warm").AcquireAsync(RedisTestExtensions.Patience, Cancel)).ReleaseAsync();
        using var calls = BackendCounter.Listen(provider, "latchkey.backend.calls");

        proxy.Blackhole();
        const int Asked = 16;
        var attempts = Enumerable.Range(0, Asked)
            .Select(i => provider.CreateLock($"cut-{i}").AcquireAsync(RedisTestExtensions.Patience, Cancel).AsTask())
            .ToList();
        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAsync<LockBackendUnavailableException>(() => attempt);
        }

        // The first few went out alone (up to LockBatcher.MaxInFlight); the others waited and went together.
        Assert.True(calls.Value < Asked, $"{calls.Value} calls for {Asked} ops.");

        // Healed, the multiplexer reconnects by itself (commands fail fast until it has): the provider serves again.
        proxy.Heal();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var again = await provider.CreateLock("after").AcquireAsync(RedisTestExtensions.Patience, Cancel);
                Assert.True(again.FencingToken > 0);
                break;
            }
            catch (LockBackendUnavailableException) when (clock.Elapsed < RedisTestExtensions.Patience)
            {
                await Task.Delay(50, Cancel);
            }
        }
    }

    private ILockProvider Connect(string connectionString)
    {
        var provider = LockProvider.Connect(connectionString);
        _providers.Add(provider);
        return provider;
    }
}
