using Latchkey.Conformance;
using System.Diagnostics;
using Google.Protobuf;
using Latchkey.Backend;
using Latchkey.Etcd.Client;

namespace Latchkey.Etcd.Tests;

/// <summary>etcd-specific behaviour of the exclusive lock: round trips, keys, leases and loss, against the real etcd.</summary>
public sealed partial class EtcdLockTests : EtcdTestBase
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
