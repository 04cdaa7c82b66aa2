using Latchkey.Conformance;
using System.Diagnostics;
using Google.Protobuf;
using Latchkey.Backend;
using Latchkey.Etcd.Client;

namespace Latchkey.Etcd.Tests;

/// <summary>How waiters queue, follow each other within a provider and are served (see <see cref="EtcdLockTests"/>).</summary>
public sealed partial class EtcdLockTests
{
    [Fact]
    public async Task AQueueOfWaiters_IsServedWithoutAReadBetweenAReleaseAndTheNextTurn()
    {
        // Waiters queued behind a holder, each in its own provider, counted from the moment each watches. From
        // then on each sends at most one read (its look-ahead when the key two places ahead goes, or a read when
        // its predecessor went first) and its release: a read after the predecessor's delete event, on the
        // hand-off's path, would be one more.
        const int count = 5;
        var holder = Provider();
        var held = await holder.CreateLock("line").AcquireAsync(Patience, Ct);
        var waiters = new List<(ILockProvider Provider, long Before, Task Done)>();
        for (var i = 0; i < count; i++)
        {
            var provider = Provider();
            await WarmUpAsync(holder, provider, $"warm-{i}");
            var done = Task.Run(async () => await (await provider.CreateLock("line").AcquireAsync(Patience, Ct)).ReleaseAsync(), Ct);
            await Conformance.Polling.UntilAsync(() => EtcdProbe.BackendOf(provider).WaitsWatching == 2, "the waiter's watches to start", Patience, Ct); // its warm-up's wait was the first
            waiters.Add((provider, EtcdProbe.BackendOf(provider).Client.RequestCount, done));
        }

        await held.ReleaseAsync();
        await Task.WhenAll(waiters.Select(w => w.Done)).WaitAsync(Patience, Ct);

        var requests = waiters.Select(w => EtcdProbe.BackendOf(w.Provider).Client.RequestCount - w.Before).ToList();
        Assert.Equal(1, requests[0]); // right behind the holder: its release
        Assert.All(requests.Skip(1), r => Assert.Equal(2, r)); // one look-ahead, its release
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task WaitersOfOneProvider_FollowEachOther_AndSendNothingButTheirReleases()
    {
        // Waiters of one provider queued one behind the other learn of their predecessor's hold and deletion from
        // it, not from etcd: from the moment all wait, they send their releases and nothing else (through etcd, each
        // after the first would also read the queue once, when the key ahead of its predecessor goes).
        const int count = 5;
        var holder = Provider();
        var provider = Provider();
        var backend = EtcdProbe.BackendOf(provider);
        await WarmUpAsync(holder, provider, "warm");
        var held = await holder.CreateLock("follow").AcquireAsync(Patience, Ct);
        var tokens = new List<Task<long>>();
        for (var i = 0; i < count; i++)
        {
            tokens.Add(Task.Run(
                async () =>
                {
                    await using var handle = await provider.CreateLock("follow").AcquireAsync(Patience, Ct);
                    return handle.FencingToken;
                },
                Ct));
            var following = i; // the first waits behind the other provider's holder, through etcd
            await Conformance.Polling.UntilAsync(() => backend.WaitsWatching == 2 && backend.WaitsFollowing == following, $"waiter {i} to wait", Patience, Ct);
        }

        var requestsBefore = backend.Client.RequestCount;
        using var wakeUps = BackendCounter.WaiterWakeups(provider);
        await held.ReleaseAsync();
        var served = await Task.WhenAll(tokens).WaitAsync(Patience, Ct);

        Assert.Equal(count, backend.Client.RequestCount - requestsBefore);
        Assert.Equal(count, wakeUps.Value);
        Assert.Equal(served.Order(), served); // in the order they queued
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task AFollowerWhosePredecessorGivesUp_WaitsBehindTheOneBeforeIt()
    {
        var (held, provider, backend, first) = await QueueBehindAnotherProviderAsync("give-up");
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var second = provider.CreateLock("give-up").AcquireAsync(Patience, giveUp.Token).AsTask();
        await FollowingAsync(backend, 1, "the second waiter to follow the first");
        var third = provider.CreateLock("give-up").AcquireAsync(Patience, Ct).AsTask();
        await FollowingAsync(backend, 2, "the third waiter to follow the second");

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        await FollowingAsync(backend, 3, "the third waiter to follow the first");
        Assert.False(third.IsCompleted, "The third waiter acquired while the holder and the first waiter were ahead of it.");

        await held.ReleaseAsync();
        var firstHeld = await first.WaitAsync(Patience, Ct);
        Assert.False(third.IsCompleted, "The third waiter acquired while the first held.");
        await firstHeld.ReleaseAsync();
        await using var thirdHeld = await third.WaitAsync(Patience, Ct);
        Assert.True(thirdHeld.FencingToken > firstHeld.FencingToken);
        Assert.Single(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task AFollowerWhoseWaitingPredecessorsKeyIsDeleted_WaitsOnForTheHolder()
    {
        var (held, provider, backend, first) = await QueueBehindAnotherProviderAsync("vanish");
        var firstKey = (await Probe.ListAsync(Prefix)).Single(k => k.CreateRevision != held.FencingToken);
        var second = provider.CreateLock("vanish").AcquireAsync(Patience, Ct).AsTask();
        await FollowingAsync(backend, 1, "the second waiter to follow the first");
        var watchingBefore = backend.WaitsWatching;

        await Probe.DeleteAsync(firstKey.Key);
        await Assert.ThrowsAsync<LockLostException>(() => first.WaitAsync(Patience, Ct));
        await Conformance.Polling.UntilAsync(() => backend.WaitsWatching == watchingBefore + 1, "the second waiter to watch the holder", Patience, Ct);
        Assert.False(second.IsCompleted, "The second waiter acquired while the other provider held.");

        await held.ReleaseAsync();
        await using var secondHeld = await second.WaitAsync(Patience, Ct);
        Assert.True(secondHeld.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task AFollowerTakesItsTurn_WhenItsHoldingPredecessorsKeyIsDeletedBySomeoneElse()
    {
        // As it would behind a holder of another provider: the holder's key is gone, so the lock is free. The holder
        // got the lock at once (no watch of its own key yet): its follower must still hear of the deletion.
        var provider = Provider();
        var backend = EtcdProbe.BackendOf(provider);
        var held = await provider.CreateLock("broken").AcquireAsync(Patience, Ct);
        var waiting = provider.CreateLock("broken").AcquireAsync(Patience, Ct).AsTask();
        await FollowingAsync(backend, 1, "the waiter to follow the holder");

        await Probe.DeleteAsync((await Probe.ListAsync(Prefix)).Single(k => k.CreateRevision == held.FencingToken).Key);
        await using var next = await waiting.WaitAsync(Patience, Ct);
        await WhenCancelled("Lost after the key was deleted", held.Lost);
        Assert.True(next.FencingToken > held.FencingToken);
        await held.ReleaseAsync();
    }

    [Fact]
    public async Task AFollower_StopsWhenItsProviderIsDisposed()
    {
        var provider = Provider();
        var backend = EtcdProbe.BackendOf(provider);
        await using var held = await provider.CreateLock("dispose").AcquireAsync(Patience, Ct);
        var waiting = provider.CreateLock("dispose").AcquireAsync(Patience, Ct).AsTask();
        await FollowingAsync(backend, 1, "the waiter to follow the holder");

        await provider.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Patience, Ct));
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    /// <summary>A lock held by one provider, and a waiter of a second provider queued behind it (through etcd).</summary>
    private async Task<(ILockHandle Held, ILockProvider Provider, EtcdLockBackend Backend, Task<ILockHandle> First)> QueueBehindAnotherProviderAsync(string name)
    {
        var holder = Provider();
        var provider = Provider();
        var held = await holder.CreateLock(name).AcquireAsync(Patience, Ct);
        var first = provider.CreateLock(name).AcquireAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(holder, LockKind.Lock, name, 1);
        return (held, provider, EtcdProbe.BackendOf(provider), first);
    }

    /// <summary>Waits, bounded, until <paramref name="count"/> waits of <paramref name="backend"/> followed a predecessor of their own provider.</summary>
    private static Task FollowingAsync(EtcdLockBackend backend, int count, string what) =>
        Conformance.Polling.UntilAsync(() => backend.WaitsFollowing == count, what, Patience, Ct);

    /// <summary>Opens <paramref name="provider"/>'s lease and its keep-alive and watch streams: it waits once for a lock <paramref name="holder"/> holds.</summary>
    private static async Task WarmUpAsync(ILockProvider holder, ILockProvider provider, string name)
    {
        var held = await holder.CreateLock(name).AcquireAsync(Patience, Ct);
        var waiting = provider.CreateLock(name).AcquireAsync(Patience, Ct).AsTask();
        await Conformance.Polling.UntilAsync(() => EtcdProbe.BackendOf(provider).WaitsWatching == 1, "the warm-up's watches to start", Patience, Ct);
        await held.ReleaseAsync();
        await (await waiting).ReleaseAsync();
    }
}
