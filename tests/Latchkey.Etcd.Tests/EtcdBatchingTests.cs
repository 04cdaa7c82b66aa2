using Latchkey.Conformance;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// Exclusive acquisitions and releases that one provider's callers ask for together share a transaction
/// (<see cref="EtcdBatcher"/>): they must stay exactly as correct as one request each.
/// </summary>
public sealed class EtcdBatchingTests : EtcdTestBase
{
    [Fact]
    public async Task LocksAskedForTogether_ShareTransactions_StayExclusive_AndTheirTokensIncrease()
    {
        var provider = Provider();
        var batcher = EtcdProbe.BackendOf(provider).Batcher;
        var outcome = await ContentionLoad.RunAsync(provider, "lock", callers: 32, locks: 4, cycles: 20, Patience, Ct);

        Assert.Equal(0, outcome.Overlaps);
        Assert.Equal(0, outcome.TokensNotIncreasing);
        Assert.True(batcher.Batches > 0 && batcher.Batched > batcher.Batches, $"{batcher.Batched} requests in {batcher.Batches} batches: none shared a transaction.");
        TestContext.Current.TestOutputHelper?.WriteLine($"{batcher.Batched} requests in {batcher.Batches} shared transactions");
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task EntriesForOneName_NeverShareATransaction_SoEachWaitsForTheOneBefore()
    {
        // Many callers of one provider on one lock at once: were two entries for the name put in one transaction,
        // they would share a create revision, each would wait for the other, and this would never finish.
        const int Tasks = 24;
        var provider = Provider();
        var theLock = provider.CreateLock("one");
        var tokens = new long[Tasks];
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(
            async () =>
            {
                await using var held = await theLock.AcquireAsync(Patience, Ct);
                tokens[t] = held.FencingToken;
            },
            Ct)));

        Assert.Equal(Tasks, tokens.Distinct().Count());
        Assert.Empty(await Probe.ListAsync(Prefix));
    }
}
