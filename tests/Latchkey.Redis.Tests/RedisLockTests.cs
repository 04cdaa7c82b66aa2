using Latchkey.Conformance;
using System.Diagnostics;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>Behaviours of the Redis backend beyond the conformance suite, against the shared Redis.</summary>
public sealed class RedisLockTests : IAsyncLifetime
{
    private readonly string _prefix = RedisTestServer.NewPrefix("unit");
    private readonly List<ILockProvider> _providers = [];
    private RedisAdmin _admin = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _admin = await RedisAdmin.ConnectAsync(TestServers());

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        await _admin.DisposeAsync();
    }

    [Fact]
    public async Task Lease_WhenRenewalStopsPastTtl_FiresLostBeforeAnotherHolderGetsIt()
    {
        var options = new LockOptions { Ttl = TimeSpan.FromMilliseconds(1500) };
        var paused = Connect();
        var held = await paused.CreateLock("paused", options).AcquireAsync(cancellationToken: Cancel);
        var lostAt = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        held.Lost.Register(() => lostAt.TrySetResult(Stopwatch.GetTimestamp()));
        paused.RedisBackend().Renewal.Paused = true;

        await using var next = await Connect().CreateLock("paused", options).AcquireAsync(RedisTestExtensions.Patience, Cancel);
        var gotAt = Stopwatch.GetTimestamp();

        Assert.True(held.Lost.IsCancellationRequested, "The next holder got the lock before the paused holder's Lost fired.");
        Assert.True(await lostAt.Task <= gotAt, "Lost fired after the next holder got the lock.");
        Assert.True(next.FencingToken > held.FencingToken, $"{next.FencingToken} after {held.FencingToken}");
    }

    [Fact]
    public async Task Lease_WhileRenewed_OutlivesItsTtlAndStaysExclusive()
    {
        // A TTL long enough that a loaded machine (2 shared cores) does not stall a renewal past it.
        var options = new LockOptions { Ttl = TimeSpan.FromSeconds(1) };
        await using var held = await Connect().CreateLock("renewed", options).AcquireAsync(cancellationToken: Cancel);

        // The point of the test is the passage of time: three TTLs without a confirmed loss.
        await Task.Delay(options.Ttl * 3, Cancel);

        Assert.False(held.Lost.IsCancellationRequested, "Lost fired although renewal was running.");
        Assert.Null(await Connect().CreateLock("renewed", options).TryAcquireAsync(cancellationToken: Cancel));
    }

    [Fact]
    public async Task Lease_WhenKeyTakenAway_FiresLostAtNextRenewal()
    {
        var options = new LockOptions { Ttl = TimeSpan.FromMilliseconds(300) };
        var held = await Connect().CreateLock("stolen", options).AcquireAsync(cancellationToken: Cancel);
        await _admin.Database.KeyDeleteAsync($"{_prefix}{{lock:stolen}}:owner");
        await held.Lost.WaitHandle.WaitOneAsync(RedisTestExtensions.Patience);
        Assert.True(held.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task Waiter_WhenReleaseMessageNeverSent_HandsOffByFallbackTimer()
    {
        var options = new LockOptions { Ttl = TimeSpan.FromSeconds(2) };
        var holder = await Connect().CreateLock("silent", options).AcquireAsync(cancellationToken: Cancel);
        var waiterProvider = Connect();
        var waiting = waiterProvider.CreateLock("silent", options).AcquireAsync(RedisTestExtensions.Patience, Cancel).AsTask();
        // Two attempts: the first, then the one after subscribing; after it the waiter sleeps.
        await RedisTestExtensions.WaitUntilAsync(() => waiterProvider.RedisBackend().Attempts >= 2, "the waiter to go to sleep");

        // Free the lock behind the backend's back: no release script, so no message on the lock's channel.
        Assert.True(await _admin.Database.KeyDeleteAsync($"{_prefix}{{lock:silent}}:owner"));
        var clock = Stopwatch.StartNew();
        await using var handle = await waiting.WaitAsync(RedisTestExtensions.Patience, Cancel);

        Assert.True(handle.FencingToken > holder.FencingToken);
        Assert.True(clock.Elapsed < options.Ttl + TimeSpan.FromSeconds(1), $"Hand-off by the fallback timer took {clock.Elapsed}; it should come at the holder's remaining TTL.");
        await holder.Lost.WaitHandle.WaitOneAsync(RedisTestExtensions.Patience);
    }

    [Fact]
    public async Task BargingWaiter_WhenHolderReleases_IsWokenByMessageAtOnce()
    {
        var options = new LockOptions { Ttl = TimeSpan.FromSeconds(30), Fair = false };
        var holder = await Connect().CreateLock("prompt", options).AcquireAsync(cancellationToken: Cancel);
        var waiterProvider = Connect();
        using var wakeups = BackendCounter.WaiterWakeups(waiterProvider);
        var waiting = waiterProvider.CreateLock("prompt", options).AcquireAsync(RedisTestExtensions.Patience, Cancel).AsTask();
        // Two attempts: the first, then the one after subscribing; after it the waiter sleeps.
        await RedisTestExtensions.WaitUntilAsync(() => waiterProvider.RedisBackend().Attempts >= 2, "the waiter to go to sleep");
        var clock = Stopwatch.StartNew();
        await holder.ReleaseAsync();
        await using var handle = await waiting.WaitAsync(RedisTestExtensions.Patience, Cancel);

        // Without the message the waiter would sleep until its fallback timer, ~30 s away.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Hand-off took {clock.Elapsed}.");
        Assert.Equal(1, wakeups.Value);
    }

    [Fact]
    public async Task FairMode_200Waiters_AreServedInArrivalOrder()
    {
        const int waiters = 200;
        var options = new LockOptions { Ttl = TimeSpan.FromSeconds(30), Fair = true };
        var holder = await Connect().CreateLock("fifo", options).AcquireAsync(cancellationToken: Cancel);
        var providers = new[] { Connect(), Connect(), Connect(), Connect() };
        var wakeups = providers.Select(BackendCounter.WaiterWakeups).ToList();
        var order = new List<int>();
        var tasks = new List<Task>();
        for (var i = 0; i < waiters; i++)
        {
            var index = i;
            var provider = providers[i % providers.Length];
            tasks.Add(Task.Run(async () =>
            {
                await using var handle = await provider.CreateLock("fifo", options).AcquireAsync(RedisTestExtensions.Patience * 3, Cancel);
                lock (order)
                {
                    order.Add(index);
                }
            }, Cancel));

            // Arrival order is the order in which the queue saw them: wait until waiter i has made its first attempt.
            await RedisTestExtensions.WaitUntilAsync(() => providers.Sum(p => p.RedisBackend().Attempts) >= index + 1, $"waiter {index} to queue");
        }

        var status = await providers[0].GetStatusAsync(LockKind.Lock, "fifo", Cancel);
        Assert.Equal(waiters, status.Waiters.Count);
        await holder.ReleaseAsync();
        await Task.WhenAll(tasks).WaitAsync(RedisTestExtensions.Patience * 3, Cancel);

        Assert.Equal(Enumerable.Range(0, waiters), order);
        Assert.Equal(waiters, wakeups.Sum(w => w.Value));
        wakeups.ForEach(w => w.Dispose());
        AssertOnlyFenceLeft("{lock:fifo}");
    }

    [Fact]
    public async Task FairMode_DeadWaiterAtHead_ExpiresAndDoesNotBlockTheQueue()
    {
        var options = new LockOptions { Ttl = TimeSpan.FromMilliseconds(500), Fair = true };
        var holder = await Connect().CreateLock("dead-head", options).AcquireAsync(cancellationToken: Cancel);

        // A waiter that joins the queue and then vanishes without withdrawing (its process died).
        var member = "deadbeef|dead.1|x";
        var deadline = (DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(500)).ToUnixTimeMilliseconds();
        await _admin.Database.ListRightPushAsync($"{_prefix}{{lock:dead-head}}:queue", member);
        await _admin.Database.SortedSetAddAsync($"{_prefix}{{lock:dead-head}}:deadlines", member, deadline);

        var live = Connect().CreateLock("dead-head", options).AcquireAsync(RedisTestExtensions.Patience, Cancel).AsTask();
        await holder.ReleaseAsync();
        await using var handle = await live.WaitAsync(RedisTestExtensions.Patience, Cancel);
        Assert.True(handle.FencingToken > holder.FencingToken);
    }

    [Fact]
    public async Task Scripts_WhenFlushedOnServer_AreLoadedAgain()
    {
        var theLock = Connect().CreateLock("flushed");
        var first = await theLock.AcquireAsync(cancellationToken: Cancel);
        await first.ReleaseAsync();
        await _admin.Server.ScriptFlushAsync();
        await using var second = await theLock.AcquireAsync(RedisTestExtensions.Patience, Cancel);
        Assert.True(second.FencingToken > first.FencingToken);
        await second.ReleaseAsync();
        AssertOnlyFenceLeft("{lock:flushed}");
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("{braces}")]
    [InlineData("}{")]
    [InlineData("a:b{c}:owner")]
    public async Task Names_WithAwkwardCharacters_StayInsideTheirHashTag(string name)
    {
        await using (var handle = await Connect().CreateLock(name).AcquireAsync(cancellationToken: Cancel))
        {
            var keys = _admin.KeysUnder(_prefix);
            var owner = Assert.Single(keys, k => k.EndsWith(":owner", StringComparison.Ordinal));
            Assert.Equal($"{_prefix}{{lock:{LockName.Escape(name)}}}:owner", owner);
            Assert.Equal(1, owner.Count(c => c == '{'));
        }

        AssertOnlyFenceLeft($"{{lock:{LockName.Escape(name)}}}");
    }

    [Fact]
    public async Task Names_Of1024Bytes_Work()
    {
        var name = new string('n', 1024);
        await using var handle = await Connect().CreateLock(name).AcquireAsync(cancellationToken: Cancel);
        Assert.True(handle.FencingToken > 0);
    }

    [Fact]
    public void Names_WithNul_AreRejected() =>
        Assert.Throws<ArgumentException>(() => Connect().CreateLock("a\0b"));

    [Theory]
    [InlineData(30, 24)]
    [InlineData(36_000, 100)]
    public async Task FenceCounter_ExpiresItsTtlTimesTenOrADayAfterItsLastGrant(int ttlSeconds, int hours)
    {
        var options = new LockOptions { Ttl = TimeSpan.FromSeconds(ttlSeconds) };
        var fence = $"{_prefix}{{lock:fence-ttl-{ttlSeconds}}}:fence";
        await (await Connect().CreateLock($"fence-ttl-{ttlSeconds}", options).AcquireAsync(cancellationToken: Cancel)).ReleaseAsync();

        var ttl = await _admin.Database.KeyTimeToLiveAsync(fence);

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromHours(hours) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(hours));
    }

    [Fact]
    public async Task GivingUp_LeavesNoKeyBehind_ForEveryKindOfWaiter()
    {
        var holderProvider = Connect();
        var waiterProvider = Connect();
        var barging = new LockOptions { Fair = false };
        var lockHeld = await holderProvider.CreateLock("gone", barging).AcquireAsync(cancellationToken: Cancel);
        var fairHeld = await holderProvider.CreateLock("gone-fair", new LockOptions { Fair = true }).AcquireAsync(cancellationToken: Cancel);
        var readHeld = await holderProvider.CreateReaderWriterLock("gone-rw").AcquireReadAsync(cancellationToken: Cancel);
        var semHeld = await holderProvider.CreateSemaphore("gone-sem", 1).AcquireAsync(cancellationToken: Cancel);

        Assert.Null(await waiterProvider.CreateLock("gone", barging).TryAcquireAsync(TimeSpan.FromMilliseconds(50), Cancel));
        Assert.Null(await waiterProvider.CreateLock("gone-fair", new LockOptions { Fair = true }).TryAcquireAsync(TimeSpan.FromMilliseconds(50), Cancel));
        Assert.Null(await waiterProvider.CreateReaderWriterLock("gone-rw").TryAcquireWriteAsync(TimeSpan.FromMilliseconds(50), Cancel));
        Assert.Null(await waiterProvider.CreateSemaphore("gone-sem", 1).TryAcquireAsync(TimeSpan.FromMilliseconds(50), Cancel));
        using (var cancel = new CancellationTokenSource())
        {
            var attemptsBefore = waiterProvider.RedisBackend().Attempts;
            var waiting = waiterProvider.CreateLock("gone-fair", new LockOptions { Fair = true }).AcquireAsync(cancellationToken: cancel.Token).AsTask();
            await RedisTestExtensions.WaitUntilAsync(() => waiterProvider.RedisBackend().Attempts > attemptsBefore, "the fair waiter to queue");
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        await lockHeld.ReleaseAsync();
        await fairHeld.ReleaseAsync();
        await readHeld.ReleaseAsync();
        await semHeld.ReleaseAsync();

        Assert.All(_admin.KeysUnder(_prefix), k => Assert.EndsWith(":fence", k, StringComparison.Ordinal));
        Assert.Equal(4, _admin.KeysUnder(_prefix).Count);
    }

    [Fact]
    public async Task Election_Status_ListsLeaderWithValueAndToken()
    {
        var election = Connect().CreateElection("leader");
        await using var leadership = await election.CampaignAsync("node-a", cancellationToken: Cancel);
        var status = await Connect().GetStatusAsync(LockKind.Election, "leader", Cancel);
        var holder = Assert.Single(status.Holders);
        Assert.Equal("node-a", holder.Value);
        Assert.Equal(leadership.FencingToken, holder.Sequence);
    }

    [Fact]
    public async Task Observe_WhenLeaderDiesSilently_SeesLeadershipEndAtItsTtl()
    {
        var options = new LockOptions { Ttl = TimeSpan.FromMilliseconds(800) };
        var leaderProvider = Connect();
        var leadership = await leaderProvider.CreateElection("silent-leader", options).CampaignAsync("a", cancellationToken: Cancel);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        watching.CancelAfter(RedisTestExtensions.Patience);
        await using var observer = Connect().CreateElection("silent-leader", options).ObserveAsync(watching.Token).GetAsyncEnumerator(watching.Token);

        Assert.True(await observer.MoveNextAsync());
        Assert.Equal("a", observer.Current?.Value);

        // The leader stops renewing and publishes nothing: only the observer's timer at the leader's TTL can notice.
        leaderProvider.RedisBackend().Renewal.Paused = true;
        Assert.True(await observer.MoveNextAsync());
        Assert.Null(observer.Current);
        Assert.True(leadership.Lost.IsCancellationRequested, "The silent leader's Lost should have fired before its TTL ran out.");
    }

    private static string TestServers() => RedisTestServer.Single("unused:");

    private ILockProvider Connect()
    {
        var provider = LockProvider.Connect(RedisTestServer.Single(_prefix));
        _providers.Add(provider);
        return provider;
    }

    private void AssertOnlyFenceLeft(string tag) =>
        Assert.Equal([$"{_prefix}{tag}:fence"], _admin.KeysUnder(_prefix).Where(k => k.Contains(tag, StringComparison.Ordinal)));
}
