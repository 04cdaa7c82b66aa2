using Medallion.Threading;

#pragma warning disable VSTHRD103 // The synchronous methods are what these tests test.

namespace Latchkey.DistributedLock.Tests;

/// <summary>The synchronous half of the interfaces: the same contract, blocking the calling thread.</summary>
public sealed class SyncContractTests : BridgeTestBase
{
    [Fact]
    public void TryAcquire_WhenHeld_ReturnsNullAndDisposeFreesTheLock()
    {
        var theLock = Locks.CreateLock("job");
        using (var held = theLock.TryAcquire(cancellationToken: Ct))
        {
            Assert.NotNull(held);
            Assert.Null(Locks.CreateLock("job").TryAcquire(cancellationToken: Ct));
        }

        using var again = Locks.TryAcquireLock("job", cancellationToken: Ct);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task Acquire_WhenHeld_BlocksThenThrowsTimeoutExceptionOnceTheTimeoutRunsOut()
    {
        using var held = Locks.AcquireLock("job", cancellationToken: Ct);
        var waiting = Task.Run(() => Locks.CreateLock("job").Acquire(TimeSpan.FromSeconds(5), Ct), Ct);
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        Assert.False(waiting.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(Patience, Ct));
    }

    [Fact]
    public async Task TryAcquire_WhenHeld_ReturnsNullOnceTheTimeoutRunsOut()
    {
        using var held = Locks.AcquireLock("job", cancellationToken: Ct);
        var waiting = Task.Run(() => Locks.CreateLock("job").TryAcquire(TimeSpan.FromSeconds(5), Ct), Ct);
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Null(await waiting.WaitAsync(Patience, Ct));
    }

    [Fact]
    public async Task Acquire_CancelledWhileBlocked_ThrowsOperationCanceledException()
    {
        using var held = Locks.AcquireLock("job", cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = Task.Run(() => Locks.CreateLock("job").Acquire(cancellationToken: cancel.Token), Ct);
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience, Ct));
    }

    [Fact]
    public async Task Acquire_ReleasedByAnotherThread_WakesTheBlockedCaller()
    {
        var held = Locks.AcquireLock("job", cancellationToken: Ct);
        var waiting = Task.Run(() => Locks.CreateLock("job").Acquire(cancellationToken: Ct), Ct);
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        held.Dispose();
        using var next = await waiting.WaitAsync(Patience, Ct);
        Assert.False(next.HandleLostToken.IsCancellationRequested);
    }
}
