using Latchkey.Conformance;
namespace Latchkey.Etcd.Tests;

/// <summary>The semaphore, reader-writer lock and election on the etcd queue: the cases the queue's watch rules must get right.</summary>
public sealed class EtcdPrimitiveTests : EtcdTestBase
{
    [Fact]
    public async Task Semaphore_WhenALaterHolderReleasesFirst_TheFirstWaiterGetsItsPermit()
    {
        var provider = Provider();
        var semaphore = provider.CreateSemaphore("out-of-order", 2);
        var a = await semaphore.AcquireAsync(Patience, Ct);
        var b = await semaphore.AcquireAsync(Patience, Ct);
        var c = semaphore.AcquireAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(provider, LockKind.Semaphore, "out-of-order", 1);
        var d = semaphore.AcquireAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(provider, LockKind.Semaphore, "out-of-order", 2);

        await b.ReleaseAsync(); // not the oldest holder
        var third = await c.WaitAsync(Patience, Ct);
        Assert.False(d.IsCompleted, "Two permits, two holders: the second waiter must still wait.");

        await a.ReleaseAsync(); // d moved up to first waiter when c got in; it must see this release
        var fourth = await d.WaitAsync(Patience, Ct);
        Assert.True(fourth.FencingToken > third.FencingToken);
        await third.ReleaseAsync();
        await fourth.ReleaseAsync();
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task Semaphore_WakesEachWaiterAtMostTwice()
    {
        const int permits = 3;
        const int waiterCount = 12;
        var holder = Provider();
        var waiters = Provider();
        var backend = EtcdProbe.BackendOf(waiters);
        var held = new List<ILockHandle>();
        for (var i = 0; i < permits; i++)
        {
            held.Add(await holder.CreateSemaphore("sem-herd", permits).AcquireAsync(Patience, Ct));
        }

        var inside = 0;
        var most = 0;
        var semaphore = waiters.CreateSemaphore("sem-herd", permits);
        var tasks = Enumerable.Range(0, waiterCount).Select(_ => Task.Run(
            async () =>
            {
                await using var handle = await semaphore.AcquireAsync(Patience, Ct);
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                await Task.Yield();
                Interlocked.Decrement(ref inside);
            },
            Ct)).ToList();
        await WaitForWaitersAsync(holder, LockKind.Semaphore, "sem-herd", waiterCount);
        using var wakeupCounter = BackendCounter.WaiterWakeups(waiters);
        foreach (var handle in held)
        {
            await handle.ReleaseAsync();
        }

        await Task.WhenAll(tasks).WaitAsync(Patience, Ct);
        Assert.True(most <= permits, $"{most} holders at once with {permits} permits");

        // Each waiter is woken when it becomes the first waiter (its predecessor got a permit) and when a
        // permit frees up for it: at most two wake-ups each, never one per waiter per release.
        var wakeups = wakeupCounter.Value;
        TestContext.Current.TestOutputHelper?.WriteLine($"{waiterCount} semaphore waiters, {wakeups} wake-ups");
        Assert.True(wakeups <= 2 * waiterCount, $"{waiterCount} waiters were woken {wakeups} times");
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task ReaderWriter_KeysSayReaderOrWriter_AndAReaderWaitsOnlyForEarlierWriters()
    {
        var provider = Provider();
        var other = Provider();
        var rw = provider.CreateReaderWriterLock("rw");
        var reader = await rw.AcquireReadAsync(Patience, Ct);
        var writer = other.CreateReaderWriterLock("rw").AcquireWriteAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(provider, LockKind.ReaderWriter, "rw", 1);
        var lateReader = rw.AcquireReadAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(provider, LockKind.ReaderWriter, "rw", 2);

        var keys = (await Probe.ListAsync(Prefix)).Select(k => k.Key.ToStringUtf8()).ToList();
        Assert.Equal(2, keys.Count(k => k.StartsWith($"{Prefix}/rwlock/rw/r/", StringComparison.Ordinal)));
        Assert.Single(keys, k => k.StartsWith($"{Prefix}/rwlock/rw/w/", StringComparison.Ordinal));

        Assert.False(lateReader.IsCompleted, "A reader behind a waiting writer must wait.");
        await reader.ReleaseAsync();
        var written = await writer.WaitAsync(Patience, Ct);
        Assert.False(lateReader.IsCompleted);
        await written.ReleaseAsync();
        await (await lateReader.WaitAsync(Patience, Ct)).ReleaseAsync();
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task Election_ValueIsTheKeysValue_AndProclaimRewritesItUnderTheSameToken()
    {
        var provider = Provider();
        var election = provider.CreateElection("leader");
        await using var leadership = await election.CampaignAsync("first", Patience, Ct);
        var key = Assert.Single(await Probe.ListAsync(Prefix));
        Assert.Equal("first", key.Value.ToStringUtf8());
        Assert.Equal(leadership.FencingToken, key.CreateRevision);

        await leadership.ProclaimAsync("second", Ct);
        var after = Assert.Single(await Probe.ListAsync(Prefix));
        Assert.Equal("second", after.Value.ToStringUtf8());
        Assert.Equal(key.CreateRevision, after.CreateRevision);
        var leader = await election.GetLeaderAsync(Ct);
        Assert.Equal(new LeaderInfo("second", leadership.FencingToken), leader);
    }

    [Fact]
    public async Task Election_ProclaimAfterTheKeyWasDeleted_ThrowsLockLost()
    {
        var provider = Provider();
        var leadership = await provider.CreateElection("deposed").CampaignAsync("v", Patience, Ct);
        await Probe.DeleteAsync(Assert.Single(await Probe.ListAsync(Prefix)).Key);
        await Assert.ThrowsAsync<LockLostException>(async () => await leadership.ProclaimAsync("w", Ct));
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
