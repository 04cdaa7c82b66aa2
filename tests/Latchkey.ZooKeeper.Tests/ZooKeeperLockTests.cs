using System.Text;
using Latchkey.Conformance;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>ZooKeeper-specific behaviour of the lock backend, against $LATCHKEY_ZK.</summary>
public sealed class ZooKeeperLockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string UniqueName() => "zk-" + Guid.NewGuid().ToString("N");

    private static ILockProvider Connect(string query = "") => LockProvider.Connect(ZooKeeperServer.ConnectionString() + query);

    private static ZooKeeperLockBackend Backend(ILockProvider provider) => (ZooKeeperLockBackend)((LockProvider)provider).Backend;

    private static async Task<IReadOnlyList<string>> ChildrenAsync(ZooKeeperClient client, LockKind kind, string name)
    {
        try
        {
            return (await client.GetChildrenAsync(ZooKeeperQueueNodes.ParentPath(kind, LockName.Escape(name)), cancellationToken: Ct)).Children;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }

    [Fact]
    public async Task FencingToken_IsTheNodesCzxid()
    {
        await using var provider = Connect();
        await using var raw = await ZooKeeperServer.ConnectAsync();
        var name = UniqueName();
        await using var handle = await provider.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var node = Assert.Single(await ChildrenAsync(raw, LockKind.Lock, name));
        Assert.Matches("^lock-[0-9a-f]{32}-[0-9]{10}$", node);
        var stat = await raw.ExistsAsync(ZooKeeperQueueNodes.ParentPath(LockKind.Lock, name) + "/" + node, cancellationToken: Ct);
        Assert.Equal(stat!.Czxid, handle.FencingToken);
    }

    [Fact]
    public async Task Cancel_WhileWaiting_LeavesNoNodeBehind()
    {
        await using var holder = Connect();
        await using var waiter = Connect();
        await using var raw = await ZooKeeperServer.ConnectAsync();
        var name = UniqueName();
        await using var held = await holder.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = waiter.CreateLock(name).AcquireAsync(cancellationToken: cancel.Token).AsTask();
        await WaitUntilAsync(async () => (await ChildrenAsync(raw, LockKind.Lock, name)).Count == 2, "the waiter to queue");
        await WaitUntilAsync(() => Task.FromResult(Backend(waiter).CurrentClient!.WatchCount == 1), "the waiter to watch its predecessor");
        var removalsBefore = Backend(waiter).CurrentClient!.ServerWatchRemovals;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Single(await ChildrenAsync(raw, LockKind.Lock, name));
        Assert.Equal(removalsBefore + 1, Backend(waiter).CurrentClient!.ServerWatchRemovals); // No stray watch on the holder's node.
        Assert.Equal(0, Backend(waiter).CurrentClient!.WatchCount);

        var timedOut = await waiter.CreateLock(name).TryAcquireAsync(TimeSpan.FromMilliseconds(200), Ct);
        Assert.Null(timedOut);
        Assert.Single(await ChildrenAsync(raw, LockKind.Lock, name));
    }

    [Fact]
    public async Task TwoHundredWaiters_AreWokenOnePerRelease()
    {
        const int count = 200;
        await using var holder = Connect();
        await using var waiters = Connect();
        await using var raw = await ZooKeeperServer.ConnectAsync();
        var name = UniqueName();
        var held = await holder.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var order = new List<int>();
        var tasks = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                await using var h = await waiters.CreateLock(name).AcquireAsync(Patience, Ct);
                lock (order)
                {
                    order.Add(index);
                }
            }, Ct));

            // Queue them one by one so FIFO order is known.
            await WaitUntilAsync(async () => (await ChildrenAsync(raw, LockKind.Lock, name)).Count == index + 2, $"waiter {index} to queue");
        }

        using var wakeups = BackendCounter.WaiterWakeups(waiters);
        await held.ReleaseAsync();
        await Task.WhenAll(tasks).WaitAsync(Patience, Ct);
        Assert.Equal(count, wakeups.Value);
        Assert.Equal(Enumerable.Range(0, count), order);
        Assert.Empty(await ChildrenAsync(raw, LockKind.Lock, name));
    }

    [Fact]
    public async Task SessionExpiry_FiresLost_AndTheNextWaiterGetsTheLock()
    {
        await using var holder = Connect("?sessionTimeout=4s");
        await using var waiter = Connect();
        var name = UniqueName();
        var held = await holder.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var next = waiter.CreateLock(name).AcquireAsync(Patience, Ct).AsTask();

        // Expire the holder's session as the server would: another connection takes the session over and closes it.
        // The holder reconnects at once when the server drops its connection for the thief's, and may win the
        // session back before the thief's close goes through; steal again until the server confirms the close.
        var session = Backend(holder).CurrentClient!;
        for (var attempt = 0; attempt < 20 && !session.SessionEnded.IsCancellationRequested; attempt++)
        {
            ZooKeeperClient thief;
            try
            {
                thief = await ZooKeeperClient.ConnectAsync(ZooKeeperServer.Options() with { SessionId = session.SessionId, SessionPassword = session.SessionPassword.ToArray() }, Ct);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                break; // Already closed by an earlier attempt.
            }

            await thief.DisposeAsync();
            if (thief.SessionEndConfirmed)
            {
                break;
            }
        }

        await Task.Delay(Timeout.InfiniteTimeSpan, held.Lost).ContinueWith(_ => { }, Ct, TaskContinuationOptions.None, TaskScheduler.Default).WaitAsync(Patience, Ct);
        await using var nextHandle = await next.WaitAsync(Patience, Ct);
        Assert.True(nextHandle.FencingToken > held.FencingToken);

        // The next acquire of the old provider runs on a new session.
        var again = await holder.CreateLock(UniqueName()).TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(again);
        await again.DisposeAsync();
        await held.DisposeAsync();
    }

    [Fact]
    public async Task Partition_LongerThanTheSession_FiresLostBeforeAnotherHolderGetsIt()
    {
        await using var proxy = new LoopbackProxy(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, ZooKeeperServer.Options().Hosts[0].Port));
        await using var holder = LockProvider.Connect($"zk://{proxy.Address}?sessionTimeout=2s");
        await using var waiter = Connect();
        var name = UniqueName();
        var held = await holder.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var lostAt = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        held.Lost.Register(() => lostAt.TrySetResult(DateTime.UtcNow));
        var next = waiter.CreateLock(name).AcquireAsync(Patience, Ct).AsTask();

        proxy.Blackhole();
        await using var nextHandle = await next.WaitAsync(Patience, Ct);
        var acquiredAt = DateTime.UtcNow;
        Assert.True(lostAt.Task.IsCompleted, "The old holder's Lost must fire before the server lets another holder in.");
        Assert.True(await lostAt.Task <= acquiredAt);
        await Assert.ThrowsAnyAsync<LockBackendUnavailableException>(async () => await held.ReleaseAsync());
    }

    [Fact]
    public async Task SilentMember_IsLeftForAnother_BeforeTheSessionIsGivenUp()
    {
        // Two routes to one server stand for two members. The silence limit (2/3 of the session) must be noticed
        // when it passes, not at the next ping, or the loss clock gives the session up first and nothing fails over.
        var upstream = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, ZooKeeperServer.Options().Hosts[0].Port);
        await using var first = new LoopbackProxy(upstream);
        await using var second = new LoopbackProxy(upstream);
        await using var holder = LockProvider.Connect($"zk://{first.Address},{second.Address}?sessionTimeout=10s");
        var name = UniqueName();
        var held = await holder.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var client = Backend(holder).CurrentClient!;
        var before = client.ConnectedServer;
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, state) =>
        {
            if (state == ZooKeeperSessionState.Connected)
            {
                reconnected.TrySetResult();
            }
        };

        (before == first.Address ? first : second).Blackhole();
        await reconnected.Task.WaitAsync(Patience, Ct);
        Assert.NotEqual(before, client.ConnectedServer);
        Assert.False(held.Lost.IsCancellationRequested);
        await held.ReleaseAsync();
    }

    [Fact]
    public async Task ConnectionDrop_WithinTheSession_KeepsTheLockAndTheWaitersWatch()
    {
        await using var holder = Connect();
        await using var waiter = Connect();
        await using var raw = await ZooKeeperServer.ConnectAsync();
        var name = UniqueName();
        var held = await holder.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var next = waiter.CreateLock(name).AcquireAsync(Patience, Ct).AsTask();
        await WaitUntilAsync(async () => (await ChildrenAsync(raw, LockKind.Lock, name)).Count == 2, "the waiter to queue");

        var holderClient = Backend(holder).CurrentClient!;
        var waiterClient = Backend(waiter).CurrentClient!;
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiterClient.StateChanged += (_, state) =>
        {
            if (state == ZooKeeperSessionState.Connected)
            {
                reconnected.TrySetResult();
            }
        };
        holderClient.DropConnection();
        waiterClient.DropConnection();
        await reconnected.Task.WaitAsync(Patience, Ct);
        await holderClient.WaitForConnectedAsync(Ct);
        Assert.Same(holderClient, Backend(holder).CurrentClient);
        Assert.False(held.Lost.IsCancellationRequested);
        AssertPending(next);

        // The waiter's watch on its predecessor was re-registered with setWatches, so the release wakes it.
        await held.ReleaseAsync();
        await using var nextHandle = await next.WaitAsync(Patience, Ct);
        Assert.False(nextHandle.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task NodeDeletedByAnotherClient_FiresLost()
    {
        await using var holder = Connect();
        await using var raw = await ZooKeeperServer.ConnectAsync();
        var name = UniqueName();
        await using var held = await holder.CreateLock(name).AcquireAsync(cancellationToken: Ct);
        var node = Assert.Single(await ChildrenAsync(raw, LockKind.Lock, name));
        await raw.DeleteAsync(ZooKeeperQueueNodes.ParentPath(LockKind.Lock, name) + "/" + node, cancellationToken: Ct);
        await Task.Delay(Timeout.InfiniteTimeSpan, held.Lost).ContinueWith(_ => { }, Ct, TaskContinuationOptions.None, TaskScheduler.Default).WaitAsync(Patience, Ct);
    }

    [Fact]
    public async Task Names_WithSlashesOrOfMaximumLength_WorkAndLeaveNothing()
    {
        await using var provider = Connect();
        await using var raw = await ZooKeeperServer.ConnectAsync();
        foreach (var name in new[] { "a/b/../c", "/", new string('é', 512), ".." })
        {
            await using (var handle = await provider.CreateLock(name).AcquireAsync(cancellationToken: Ct))
            {
                Assert.Single(await ChildrenAsync(raw, LockKind.Lock, name));
            }

            Assert.Empty(await ChildrenAsync(raw, LockKind.Lock, name));
        }
    }

    [Fact]
    public async Task Chroot_ThatDoesNotExist_IsAClearError()
    {
        await using var provider = LockProvider.Connect(ZooKeeperServer.ConnectionString() + "/no-such-chroot-" + Guid.NewGuid().ToString("N"));
        var ex = await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await provider.ConnectAsync(Ct));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortThatIsNotZooKeeper_IsBackendUnavailableWithinTheConnectTimeout()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            // Answer every connection as an HTTP server would, until the test ends.
            try
            {
                while (true)
                {
                    using var socket = await listener.AcceptSocketAsync(Ct);
                    await socket.SendAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), Ct);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
            }
        }, Ct);
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        await using var provider = LockProvider.Connect($"zk://127.0.0.1:{port}?connectTimeout=2s");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await provider.CreateLock(UniqueName()).TryAcquireAsync(cancellationToken: Ct));
        Assert.Contains("not a ZooKeeper server", ex.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"Failing took {clock.Elapsed}.");
        listener.Stop();
        await serve;
    }

    [Fact]
    public async Task Chroot_KeepsLocksApart()
    {
        await using var raw = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        await raw.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct);
        try
        {
            await using var rooted = LockProvider.Connect(ZooKeeperServer.ConnectionString() + root);
            await using var plain = Connect();
            var name = UniqueName();
            await using var a = await rooted.CreateLock(name).AcquireAsync(cancellationToken: Ct);
            await using var b = await plain.CreateLock(name).TryAcquireAsync(cancellationToken: Ct);
            Assert.NotNull(b);
            Assert.NotNull(await raw.ExistsAsync(root + ZooKeeperQueueNodes.ParentPath(LockKind.Lock, name), cancellationToken: Ct));
        }
        finally
        {
            await ZooKeeperServer.DeleteTreeAsync(raw, root);
        }
    }

    [Fact]
    public async Task DigestAuth_OtherIdentityIsRefusedClearly()
    {
        await using var raw = await ZooKeeperServer.ConnectAsync();
        var root = ZooKeeperServer.UniqueRoot();
        await raw.CreateAsync(root, default, CreateMode.Persistent, cancellationToken: Ct);
        try
        {
            await using var alice = LockProvider.Connect(ZooKeeperServer.ConnectionString() + root + "?auth=alice:secret");
            await using var mallory = LockProvider.Connect(ZooKeeperServer.ConnectionString() + root + "?auth=alice:wrong");
            var name = UniqueName();
            await using var held = await alice.CreateLock(name).AcquireAsync(cancellationToken: Ct);
            await Assert.ThrowsAsync<LockAuthenticationException>(async () => await mallory.CreateLock(name).TryAcquireAsync(cancellationToken: Ct));
            await using var again = await alice.CreateLock(name).TryAcquireAsync(TimeSpan.Zero, Ct);
            Assert.Null(again);
        }
        finally
        {
            await using var admin = await ZooKeeperClient.ConnectAsync(ZooKeeperServer.Options() with { Auth = [ZooKeeperAuth.Digest("alice", "secret")] }, Ct);
            await ZooKeeperServer.DeleteTreeAsync(admin, root);
        }
    }

    [Fact]
    public async Task Semaphore_WithManyPermits_PromotesEveryWaiterAsHoldersLeaveInAnyOrder()
    {
        await using var a = Connect();
        await using var b = Connect();
        var name = UniqueName();
        const int permits = 3;
        var holders = new List<ILockHandle>();
        for (var i = 0; i < permits; i++)
        {
            holders.Add(await a.CreateSemaphore(name, permits).AcquireAsync(cancellationToken: Ct));
        }

        var waiting = Enumerable.Range(0, 4).Select(_ => b.CreateSemaphore(name, permits).AcquireAsync(Patience, Ct).AsTask()).ToList();
        await WaitUntilAsync(async () => (await a.GetStatusAsync(LockKind.Semaphore, name, Ct)).Waiters.Count == 4, "four waiters");

        // Release the middle holder first: the first waiter must be promoted even though it does not watch that node.
        await holders[1].ReleaseAsync();
        var first = await Task.WhenAny(waiting).WaitAsync(Patience, Ct);
        Assert.Equal(1, waiting.Count(t => t.IsCompleted));
        await holders[2].ReleaseAsync();
        await holders[0].ReleaseAsync();
        await WaitUntilAsync(() => Task.FromResult(waiting.Count(t => t.IsCompleted) == 3), "three promoted");
        await (await first).ReleaseAsync();
        var all = await Task.WhenAll(waiting).WaitAsync(Patience, Ct);
        foreach (var h in all)
        {
            await h.ReleaseAsync();
        }
    }

    [Fact]
    public async Task Election_ValueAndLeaderAreReadFromTheNode()
    {
        await using var a = Connect();
        await using var b = Connect();
        var name = UniqueName();
        await using var leader = await a.CreateElection(name).CampaignAsync("alpha", cancellationToken: Ct);
        var info = await b.CreateElection(name).GetLeaderAsync(Ct);
        Assert.Equal("alpha", info!.Value);
        Assert.Equal(leader.FencingToken, info.Term);
        await leader.ProclaimAsync("beta", Ct);
        Assert.Equal("beta", (await b.CreateElection(name).GetLeaderAsync(Ct))!.Value);
    }

    [Fact]
    public async Task OneConnection_HoldsTenThousandLocks()
    {
        const int count = 10_000;
        await using var provider = Connect();
        await using var other = Connect();
        var prefix = UniqueName() + "-";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var handles = new ILockHandle[count];
        for (var batch = 0; batch < count; batch += 1000)
        {
            var tasks = Enumerable.Range(batch, 1000).Select(i => provider.CreateLock(prefix + i).AcquireAsync(Patience, Ct).AsTask()).ToList();
            var got = await Task.WhenAll(tasks).WaitAsync(Patience, Ct);
            got.CopyTo(handles, batch);
        }

        var acquired = clock.Elapsed;
        Assert.Equal(count, handles.Select(h => h.FencingToken).Distinct().Count());
        Assert.Null(await other.CreateLock(prefix + "4321").TryAcquireAsync(cancellationToken: Ct));
        Assert.All(handles, h => Assert.False(h.Lost.IsCancellationRequested));
        await Task.WhenAll(handles.Select(h => h.ReleaseAsync().AsTask())).WaitAsync(Patience, Ct);
        await using var after = await other.CreateLock(prefix + "4321").TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(after);
        TestContext.Current.TestOutputHelper?.WriteLine($"{count} locks acquired in {acquired.TotalSeconds:F1} s, released in {(clock.Elapsed - acquired).TotalSeconds:F1} s");
    }

    private static void AssertPending(Task task) => Assert.False(task.IsCompleted, "The waiter should still be waiting.");

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Conformance.Polling.UntilAsync(condition, what, Patience, Ct);
}
