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

    [Fact]
    public async Task Acquire_OnAThreadWhoseSynchronizationContextNeverRuns_DoesNotDeadlock()
    {
        // A UI or legacy ASP.NET thread blocked in Acquire cannot run what is posted to its context: nothing on the
        // acquire path may need it.
        var held = Locks.AcquireLock("job", cancellationToken: Ct);
        var context = new NeverRunsContext();
        long token = 0;
        var thread = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(context);
            using var handle = (LatchkeyDistributedLockHandle)Locks.CreateLock("job").Acquire(Patience, Ct);
            token = handle.FencingToken;
        });
        thread.Start();
        await WaitForWaitersAsync(LockKind.Lock, "job", 1);
        held.Dispose();
        Assert.True(thread.Join(Patience), $"The blocked Acquire never returned; {context.Posts} callbacks were posted to its context.");
        Assert.True(token > ((LatchkeyDistributedLockHandle)held).FencingToken);
    }

    private sealed class NeverRunsContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posts);

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Send on a blocked thread would deadlock.");
    }
}
