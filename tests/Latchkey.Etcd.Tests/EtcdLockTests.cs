using Latchkey.Conformance;
using System.Diagnostics;
using Google.Protobuf;
using Latchkey.Backend;
using Latchkey.Etcd.Client;

namespace Latchkey.Etcd.Tests;

/// <summary>etcd-specific behaviour of the exclusive lock: round trips, keys, leases and loss, against the real etcd.</summary>
public sealed class EtcdLockTests : EtcdTestBase
{
    [Fact]
    public async Task UncontendedCycle_IsOneTransactionToAcquireAndOneDeleteToRelease()
    {
        var provider = Provider();
        var theLock = provider.CreateLock("rt");
        await (await theLock.AcquireAsync(Patience, Ct)).ReleaseAsync(); // opens the lease and the streams
        var client = EtcdProbe.BackendOf(provider).Client;
        var before = client.RequestCount;
        const int cycles = 20;
        for (var i = 0; i < cycles; i++)
        {
            await (await theLock.AcquireAsync(Patience, Ct)).ReleaseAsync();
        }

        Assert.Equal(2 * cycles, client.RequestCount - before);
        TestContext.Current.TestOutputHelper?.WriteLine($"{cycles} cycles: {client.RequestCount - before} requests, {client.BackgroundRequestCount} background checks in all");
        Assert.Equal(1, EtcdProbe.BackendOf(provider).Leases.GrantCount);
    }

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

    [Fact]
    public async Task TryAcquire_OfATakenLock_IsOneRequestAndWritesNothing()
    {
        var holder = Provider();
        var other = Provider();
        await using var held = await holder.CreateLock("try").AcquireAsync(Patience, Ct);
        await (await other.CreateLock("warm").AcquireAsync(Patience, Ct)).ReleaseAsync();
        var client = EtcdProbe.BackendOf(other).Client;
        var before = client.RequestCount;

        Assert.Null(await other.CreateLock("try").TryAcquireAsync(cancellationToken: Ct));

        // One transaction whose compare failed; a put-then-withdraw would have been two.
        Assert.Equal(1, client.RequestCount - before);
        Assert.Equal(held.FencingToken, Assert.Single(await Probe.ListAsync(Prefix)).CreateRevision);
    }

    [Fact]
    public async Task FencingToken_IsTheCreateRevisionOfTheHoldersKey()
    {
        var provider = Provider();
        await using var held = await provider.CreateLock("token").AcquireAsync(Patience, Ct);
        var keys = await Probe.ListAsync(Prefix);
        var key = Assert.Single(keys);
        Assert.Equal(held.FencingToken, key.CreateRevision);
        Assert.StartsWith($"{Prefix}/lock/token/", key.Key.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal(EtcdProbe.BackendOf(provider).Leases.Current!.Id, key.Lease);
    }

    [Fact]
    public async Task GivingUp_InEveryWay_LeavesNoKeyUnderThePrefix()
    {
        var holder = Provider();
        var other = Provider();
        var held = await holder.CreateLock("leave").AcquireAsync(Patience, Ct);
        var theLock = other.CreateLock("leave");

        Assert.Null(await theLock.TryAcquireAsync(cancellationToken: Ct));
        Assert.Null(await theLock.TryAcquireAsync(TimeSpan.FromMilliseconds(100), Ct));
        await Assert.ThrowsAsync<TimeoutException>(async () => await theLock.AcquireAsync(TimeSpan.FromMilliseconds(100), Ct));
        using (var cancel = new CancellationTokenSource())
        {
            var waiting = theLock.AcquireAsync(cancellationToken: cancel.Token).AsTask();
            await WaitForWaitersAsync(holder, LockKind.Lock, "leave", 1);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        var keys = await Probe.ListAsync(Prefix);
        Assert.Equal(held.FencingToken, Assert.Single(keys).CreateRevision);
        await held.ReleaseAsync();
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task LeaseRevokedByAnotherClient_FiresLost_AndTheNextAcquireUsesAFreshLease()
    {
        var provider = Provider();
        var backend = EtcdProbe.BackendOf(provider);
        var held = await provider.CreateLock("revoked").AcquireAsync(Patience, Ct);
        var lease = backend.Leases.Current!.Id;

        await Probe.RevokeAsync(lease);
        await WhenCancelled("Lost after the lease was revoked", held.Lost);

        await using var again = await provider.CreateLock("revoked").AcquireAsync(Patience, Ct);
        Assert.NotEqual(lease, backend.Leases.Current!.Id);
        Assert.Equal(2, backend.Leases.GrantCount);
        Assert.True(again.FencingToken > held.FencingToken);
        await held.ReleaseAsync(); // harmless: the key is gone
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RetriedEnter_WhoseFirstReplyWasLost_KeepsItsPlaceAndLeaksNoKey(bool behindAHolder)
    {
        var provider = Provider();
        await using var held = behindAHolder ? await Provider().CreateLock("retry").AcquireAsync(Patience, Ct) : null;
        var backend = EtcdProbe.BackendOf(provider);
        var lease = await backend.Leases.GetAsync(Ct);
        var request = new LockRequest
        {
            Kind = LockKind.Lock,
            Name = "retry",
            EscapedName = "retry",
            Access = LockAccess.Exclusive,
            Permits = 1,
            Options = new LockOptions(),
            Wait = true,
        };
        var key = backend.KeyNumbers.NewKey(backend.Keys.KeyName(request), lease);

        // The first attempt went through, but its reply was lost; then someone queued behind it.
        var first = backend.Queue.NewAcquisition(request, lease, key);
        Assert.NotNull(await backend.Queue.EnterAsync(first, Ct));
        var later = Provider().CreateLock("retry").AcquireAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(provider, LockKind.Lock, "retry", behindAHolder ? 2 : 1);

        // The retry sends the same key: it keeps its create revision, and sees only what was there before it.
        var retry = backend.Queue.NewAcquisition(request, lease, key);
        var view = await backend.Queue.EnterAsync(retry, Ct);
        Assert.Equal(first.CreateRevision, retry.CreateRevision);
        Assert.Equal(behindAHolder ? [held!.FencingToken] : [], view!.Value.Blockers.Select(kv => kv.CreateRevision));
        Assert.Equal(behindAHolder ? 3 : 2, (await Probe.ListAsync(Prefix)).Count);

        await retry.WithdrawAsync();
        if (held is not null)
        {
            await held.ReleaseAsync();
        }

        await using var next = await later;
        Assert.True(next.FencingToken > retry.CreateRevision);
    }

    [Fact]
    public async Task HeldKeyDeletedBySomeoneElse_FiresLost()
    {
        var provider = Provider();
        var held = await provider.CreateLock("deleted").AcquireAsync(Patience, Ct);
        var key = Assert.Single(await Probe.ListAsync(Prefix)).Key;
        await Probe.DeleteAsync(key);
        await WhenCancelled("Lost after the key was deleted", held.Lost);
        await held.ReleaseAsync();
    }

    [Fact]
    public async Task WaiterWhoseKeyIsDeleted_StopsWithLockLostException()
    {
        var holder = Provider();
        var waiter = Provider();
        await using var held = await holder.CreateLock("vanish").AcquireAsync(Patience, Ct);
        var waiting = waiter.CreateLock("vanish").AcquireAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(holder, LockKind.Lock, "vanish", 1);
        var waiterKey = (await Probe.ListAsync(Prefix)).Single(k => k.CreateRevision != held.FencingToken).Key;
        await Probe.DeleteAsync(waiterKey);
        await Assert.ThrowsAsync<LockLostException>(() => waiting.WaitAsync(Patience, Ct));
    }

    [Fact]
    public async Task WaiterWhoseLeaseIsRevoked_StopsWithLockLostException_AndLeavesNoKey()
    {
        var holder = Provider();
        var waiter = Provider();
        var held = await holder.CreateLock("waiter-lease").AcquireAsync(Patience, Ct);
        var waiting = waiter.CreateLock("waiter-lease").AcquireAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(holder, LockKind.Lock, "waiter-lease", 1);
        await Probe.RevokeAsync(EtcdProbe.BackendOf(waiter).Leases.Current!.Id);
        await Assert.ThrowsAsync<LockLostException>(() => waiting.WaitAsync(Patience, Ct));
        await held.ReleaseAsync();
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task Partition_HolderIsToldLostBeforeTheWaiterBehindItAcquires_WithinTheTtl()
    {
        const int ttl = 2;
        await using var proxy = new Conformance.LoopbackProxy(Conformance.LoopbackProxy.ParseHostPort(Probe.HostPort));
        var cutOff = Provider(ttl, proxy.Address);
        var other = Provider(ttl);
        var held = await cutOff.CreateLock("partition").AcquireAsync(Patience, Ct);
        var lostAt = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        held.Lost.Register(() => lostAt.TrySetResult(Stopwatch.GetTimestamp()));
        var waiting = other.CreateLock("partition").AcquireAsync(Patience, Ct).AsTask();
        await WaitForWaitersAsync(other, LockKind.Lock, "partition", 1);

        var cutAt = Stopwatch.GetTimestamp();
        proxy.Blackhole();
        await using var next = await waiting.WaitAsync(Patience, Ct);
        var acquiredAt = Stopwatch.GetTimestamp();
        var lost = await lostAt.Task.WaitAsync(Patience, Ct);

        Assert.True(lost <= acquiredAt, $"Lost fired {Stopwatch.GetElapsedTime(acquiredAt, lost).TotalMilliseconds:F0} ms after the waiter acquired.");
        Assert.True(next.FencingToken > held.FencingToken);
        var handOff = Stopwatch.GetElapsedTime(cutAt, acquiredAt);
        Assert.True(handOff < TimeSpan.FromSeconds(ttl + 2), $"The waiter needed {handOff} after the holder was cut off; the lease TTL is {ttl}s.");
    }

    [Fact]
    public async Task Partition_Healed_TheProviderAcquiresAgainWithANewLeaseAndANewerToken()
    {
        const int ttl = 2;
        await using var proxy = new Conformance.LoopbackProxy(Conformance.LoopbackProxy.ParseHostPort(Probe.HostPort));
        var provider = Provider(ttl, proxy.Address);
        var backend = EtcdProbe.BackendOf(provider);
        var held = await provider.CreateLock("heal").AcquireAsync(Patience, Ct);
        proxy.Blackhole();
        await WhenCancelled("Lost while cut off", held.Lost);
        proxy.Heal();
        await held.ReleaseAsync().AsTask().ContinueWith(_ => { }, TaskScheduler.Default); // may fail: nothing to free

        await using var again = await provider.CreateLock("heal").AcquireAsync(Patience, Ct);
        Assert.True(again.FencingToken > held.FencingToken, $"{again.FencingToken} after {held.FencingToken}");
        Assert.Equal(2, backend.Leases.GrantCount);
        Assert.False(again.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task TwoHundredWaiters_AreWokenOneAtATime_InArrivalOrder()
    {
        const int count = 200;
        var holder = Provider();
        var waiters = Provider();
        var backend = EtcdProbe.BackendOf(waiters);
        var theLock = waiters.CreateLock("herd");
        var held = await holder.CreateLock("herd").AcquireAsync(Patience, Ct);
        var order = new List<long>();
        var tasks = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            tasks.Add(Task.Run(async () =>
            {
                await using var handle = await theLock.AcquireAsync(Patience * 2, Ct);
                lock (order)
                {
                    order.Add(handle.FencingToken);
                }
            }, Ct));
        }

        await WaitForWaitersAsync(holder, LockKind.Lock, "herd", count);
        var queued = (await holder.GetStatusAsync(LockKind.Lock, "herd", Ct)).Waiters.Select(w => w.Sequence!.Value).ToList();
        using var wakeupCounter = BackendCounter.WaiterWakeups(waiters);
        using var lookAheadCounter = BackendCounter.WaiterLookAheads(waiters);
        await held.ReleaseAsync();
        await Task.WhenAll(tasks).WaitAsync(Patience * 2, Ct);

        var wakeups = wakeupCounter.Value;
        Assert.True(wakeups == count, $"{count} releases woke waiters {wakeups} times to take their turn; herd-free means once each.");

        // Besides, the waiter behind the next in line reads the queue once when the key ahead of its predecessor
        // goes: at most one look-ahead per release, however long the queue.
        var lookAheads = lookAheadCounter.Value;
        Assert.InRange(lookAheads, 1, count);
        Assert.True(queued.SequenceEqual(order), "Waiters were not served in the order they queued.");
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task FailOver_SkipsAnUnreachableFirstEndpoint()
    {
        var provider = Track(LockProvider.Connect($"etcd://127.0.0.1:1,{Probe.HostPort}?prefix={Prefix}&ttl=5s&connectTimeout=2s"));
        await using var held = await provider.CreateLock("failover").AcquireAsync(Patience, Ct);
        Assert.True(held.FencingToken > 0);
        await using var second = await provider.CreateLock("failover2").AcquireAsync(Patience, Ct);
    }

    [Fact]
    public async Task Connect_ToAServerThatIsNotEtcd_FailsWithBackendUnavailable()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            while (!Ct.IsCancellationRequested)
            {
                using var socket = await listener.AcceptSocketAsync(Ct);
                await socket.SendAsync("-ERR this is not etcd\r\n"u8.ToArray(), Ct);
                socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
            }
        }, Ct);

        var clock = Stopwatch.StartNew();
        await using var provider = LockProvider.Connect($"etcd://127.0.0.1:{port}?connectTimeout=2s&requestTimeout=3s");
        var error = await Assert.ThrowsAnyAsync<LockBackendUnavailableException>(async () => await provider.ConnectAsync(Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}: {error.Message}");
        listener.Stop();
        await serve.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Theory]
    [InlineData("etcd://127.0.0.1:2379?ttl=1s")]
    [InlineData("etcd://127.0.0.1:2379?ttl=500ms")]
    [InlineData("etcd://127.0.0.1:2379?ttl=3.5s")]
    [InlineData("etcd://127.0.0.1:2379?ttl=25h")]
    [InlineData("etcd://127.0.0.1:2379?connectTimeout=0s")]
    [InlineData("etcd://127.0.0.1:2379?cert=/c.pem")]
    [InlineData("etcds://127.0.0.1:2379?cert=/c.pem")]
    [InlineData("etcd://127.0.0.1:2379?prefix=a%00b")]
    [InlineData("etcd://127.0.0.1:2379?layout=zookeeper")]
    public void Connect_WithBadParameters_ThrowsFormatException(string connectionString) =>
        Assert.Throws<FormatException>(() => LockProvider.Connect(connectionString));

    [Fact]
    public async Task Names_WithSlashNulAndMaximumLength_AreEscapedUnderTheirOwnPrefix()
    {
        var provider = Provider();
        var longName = new string('n', LockName.MaxUtf8Bytes);
        await using (var a = await provider.CreateLock("x/../y").AcquireAsync(Patience, Ct))
        await using (var b = await provider.CreateLock(longName).AcquireAsync(Patience, Ct))
        {
            var keys = (await Probe.ListAsync(Prefix)).Select(k => k.Key.ToStringUtf8()).ToList();
            Assert.Contains(keys, k => k.StartsWith($"{Prefix}/lock/x%2F..%2Fy/", StringComparison.Ordinal));
            Assert.Contains(keys, k => k.StartsWith($"{Prefix}/lock/{longName}/", StringComparison.Ordinal));
        }

        Assert.Throws<ArgumentException>(() => provider.CreateLock("nul\0name"));
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    private static async Task WhenCancelled(string what, CancellationToken token)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = token.Register(() => fired.TrySetResult());
        try
        {
            await fired.Task.WaitAsync(Patience, Ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} did not happen within {Patience}.");
        }
    }
}
