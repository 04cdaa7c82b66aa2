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
        var instruments = EtcdProbe.BackendOf(provider).Instruments;
        using var batchCalls = BackendCounter.Listen(instruments, "latchkey.backend.calls", BackendCounter.Batched);
        using var batchedRequests = BackendCounter.Listen(instruments, "latchkey.backend.requests", BackendCounter.Batched);
        var outcome = await ContentionLoad.RunAsync([provider], "lock", callers: 32, locks: 4, cycles: 20, Patience, Ct);

        Assert.Equal(0, outcome.Overlaps);
        Assert.Equal(0, outcome.TokensNotIncreasing);
        Assert.True(batchCalls.Value > 0 && batchedRequests.Value > batchCalls.Value, $"{batchedRequests.Value} requests in {batchCalls.Value} batches: none shared a transaction.");
        TestContext.Current.TestOutputHelper?.WriteLine($"{batchedRequests.Value} requests in {batchCalls.Value} shared transactions");
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task CampaignsWithLargeValues_AskedForTogether_AllWin()
    {
        // 40 values of 60 KiB are 2.4 MB: one transaction carrying them all would exceed etcd's request limit
        // (1.5 MiB by default) and fail every campaign in it.
        const int Elections = 40;
        var provider = Provider();
        using var batchCalls = BackendCounter.Listen(EtcdProbe.BackendOf(provider).Instruments, "latchkey.backend.calls", BackendCounter.Batched);
        var value = new string('v', 60 * 1024);
        var leaderships = await Task.WhenAll(Enumerable.Range(0, Elections).Select(i => Task.Run(
            async () => await provider.CreateElection($"big-{i}").CampaignAsync(value, Patience, Ct),
            Ct)));

        Assert.All(leaderships, l => Assert.True(l.FencingToken > 0));
        Assert.True(batchCalls.Value > 0, "No campaign waited to be batched: the test did not test batching.");
        foreach (var leadership in leaderships)
        {
            await leadership.DisposeAsync();
        }

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
