using Medallion.Threading;

namespace Latchkey.DistributedLock.Tests;

/// <summary>DistributedLock.Core's contract of <see cref="Medallion.Threading.IDistributedLock"/>, through the bridge.</summary>
public sealed class LockContractTests : BridgeTestBase
{
    [Fact]
    public async Task TryAcquireAsync_WhenFree_ReturnsAHandleThatExcludesOthersUntilDisposed()
    {
        var theLock = Locks.CreateLock("job");
        await using (var held = await theLock.TryAcquireAsync(cancellationToken: Ct))
        {
            Assert.NotNull(held);
            Assert.Null(await Locks.CreateLock("job").TryAcquireAsync(cancellationToken: Ct));
        }

        await using var again = await theLock.TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task TryAcquireAsync_WhenHeld_ReturnsNullOnceTheTimeoutRunsOut()
    {
        await using var held = await Locks.AcquireLockAsync("job", cancellationToken: Ct);
        var waiting = Locks.CreateLock("job").TryAcquireAsync(TimeSpan.FromSeconds(5), Ct).AsTask();
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        Clock.Advance(TimeSpan.FromSeconds(4.999));
        Assert.False(waiting.IsCompleted);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await waiting.WaitAsync(Patience, Ct));
        Assert.Empty((await Latchkey.GetStatusAsync(LockKind.Lock, "job", Ct)).Waiters);
    }

    [Fact]
    public async Task AcquireAsync_WhenHeld_ThrowsTimeoutExceptionOnceTheTimeoutRunsOut()
    {
        await using var held = await Locks.AcquireLockAsync("job", cancellationToken: Ct);
        var waiting = Locks.CreateLock("job").AcquireAsync(TimeSpan.FromSeconds(5), Ct).AsTask();
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        Clock.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(Patience, Ct));
    }

    [Fact]
    public async Task AcquireAsync_WithoutTimeout_WaitsUntilTheHolderReleases()
    {
        var held = await Locks.AcquireLockAsync("job", cancellationToken: Ct);
        var waiting = Locks.CreateLock("job").AcquireAsync(cancellationToken: Ct).AsTask();
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        Clock.Advance(TimeSpan.FromDays(1));
        Assert.False(waiting.IsCompleted);
        await held.DisposeAsync();
        await using var next = await waiting.WaitAsync(Patience, Ct);
        Assert.True(((LatchkeyDistributedLockHandle)next).FencingToken > ((LatchkeyDistributedLockHandle)held).FencingToken);
    }

    [Fact]
    public async Task AcquireAsync_WithInfiniteTimeSpan_WaitsAndANegativeTimeoutIsRefused()
    {
        await using var held = await Locks.AcquireLockAsync("job", cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = Locks.CreateLock("job").AcquireAsync(Timeout.InfiniteTimeSpan, cancel.Token).AsTask();
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Locks.CreateLock("job").TryAcquireAsync(TimeSpan.FromSeconds(-2), Ct).AsTask());
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaiting_ThrowsAndLeavesNoWaiterBehind()
    {
        await using var held = await Locks.AcquireLockAsync("job", cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = Locks.CreateLock("job").AcquireAsync(TimeSpan.FromMinutes(1), cancel.Token).AsTask();
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience, Ct));
        Assert.Empty((await Latchkey.GetStatusAsync(LockKind.Lock, "job", Ct)).Waiters);
    }

    [Fact]
    public async Task TryAcquireAsync_AlreadyCancelled_ThrowsEvenWhenTheLockIsFree()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks.CreateLock("job").TryAcquireAsync(cancellationToken: cancelled.Token).AsTask());
    }

    [Fact]
    public async Task Handle_DisposedTwice_IsHarmlessAndDoesNotFireHandleLostToken()
    {
        var handle = await Locks.CreateLock("job").AcquireAsync(cancellationToken: Ct);
        var lost = handle.HandleLostToken;
        Assert.Equal(((LatchkeyDistributedLockHandle)handle).LockHandle.Lost, lost);
        await handle.DisposeAsync();
        await handle.DisposeAsync();
        handle.Dispose();
        Assert.False(lost.IsCancellationRequested);
        Assert.Throws<ObjectDisposedException>(() => handle.HandleLostToken);
    }

    [Fact]
    public async Task Handle_CarriesAStrictlyIncreasingFencingTokenAndTheLatchkeyHandle()
    {
        var theLock = new LatchkeyDistributedLockProvider(Latchkey).CreateLock("job");
        long previous = 0;
        for (var i = 0; i < 3; i++)
        {
            await using var handle = await theLock.AcquireAsync(cancellationToken: Ct);
            Assert.True(handle.FencingToken > previous);
            Assert.Equal(handle.FencingToken, handle.LockHandle.FencingToken);
            Assert.True(handle.LockHandle.IsHeld);
            previous = handle.FencingToken;
        }
    }

    [Fact]
    public async Task Name_IsTheNameGiven_AndNamesAreDistinctLocks()
    {
        var names = new[] { "job", "Job", "a/b", "a", "ünïcødé 🔒", new string('x', 1024) };
        var handles = new List<IDistributedSynchronizationHandle>();
        foreach (var name in names)
        {
            var theLock = Locks.CreateLock(name);
            Assert.Equal(name, theLock.Name);
            handles.Add(Assert.IsType<IDistributedSynchronizationHandle>(await theLock.TryAcquireAsync(cancellationToken: Ct), exactMatch: false));
        }

        foreach (var handle in handles)
        {
            await handle.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("line\nbreak")]
    public void CreateLock_WithAnInvalidName_ThrowsArgumentException(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => Locks.CreateLock(name));
}
