using Medallion.Threading;

#pragma warning disable VSTHRD103 // The synchronous methods are what these tests test.

namespace Latchkey.DistributedLock.Tests;

/// <summary>Reader-writer locks and semaphores through DistributedLock.Core's provider interfaces.</summary>
public sealed class PrimitiveTests : BridgeTestBase
{
    [Fact]
    public async Task ReaderWriterLock_AdmitsManyReadersOrOneWriter()
    {
        var rw = (IDistributedReaderWriterLockProvider)Locks;
        await using var first = await rw.AcquireReadLockAsync("table", cancellationToken: Ct);
        await using (var second = await rw.TryAcquireReadLockAsync("table", cancellationToken: Ct))
        {
            Assert.NotNull(second);
            Assert.Null(await rw.TryAcquireWriteLockAsync("table", cancellationToken: Ct));
            Assert.Null(rw.CreateReaderWriterLock("table").TryAcquireWriteLock(cancellationToken: Ct));
        }

        await first.DisposeAsync();
        await using var writer = await rw.AcquireWriteLockAsync("table", TimeSpan.Zero, Ct);
        Assert.Null(await rw.TryAcquireReadLockAsync("table", cancellationToken: Ct));
        Assert.Equal("table", rw.CreateReaderWriterLock("table").Name);
    }

    [Fact]
    public async Task ReaderWriterLock_WriterThatTimesOut_ThrowsTimeoutException()
    {
        var rw = (IDistributedReaderWriterLockProvider)Locks;
        await using var reader = await rw.AcquireReadLockAsync("table", cancellationToken: Ct);
        var writer = rw.AcquireWriteLockAsync("table", TimeSpan.FromSeconds(2), Ct).AsTask();
        await WaitForWaitersAsync(LockKind.ReaderWriter, "table", 1);
        Clock.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<TimeoutException>(() => writer.WaitAsync(Patience, Ct));
    }

    [Fact]
    public async Task Semaphore_AdmitsMaxCountHoldersAtOnce()
    {
        var semaphores = (IDistributedSemaphoreProvider)Locks;
        var semaphore = semaphores.CreateSemaphore("pool", 2);
        Assert.Equal(2, semaphore.MaxCount);
        Assert.Equal("pool", semaphore.Name);
        await using var one = await semaphore.AcquireAsync(cancellationToken: Ct);
        using var two = semaphore.Acquire(cancellationToken: Ct);
        Assert.Null(await semaphores.TryAcquireSemaphoreAsync("pool", 2, cancellationToken: Ct));
        two.Dispose();
        await using var three = await semaphores.TryAcquireSemaphoreAsync("pool", 2, cancellationToken: Ct);
        Assert.NotNull(three);
    }

    [Fact]
    public void Semaphore_WithNoTickets_IsRefused() =>
        Assert.ThrowsAny<ArgumentException>(() => ((IDistributedSemaphoreProvider)Locks).CreateSemaphore("pool", 0));
}
