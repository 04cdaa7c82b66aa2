using Latchkey.Backend;

namespace Latchkey.Tests;

/// <summary>The queue rule every ordered backend shares, on its own: who holds, and the one thing each waiter watches.</summary>
public sealed class QueueDecisionTests
{
    private sealed record Entry(LockAccess Access) : IQueueEntry;

    private static List<Entry> Queue(string accesses) =>
        accesses.Select(c => new Entry(c == 'r' ? LockAccess.Shared : LockAccess.Exclusive)).ToList();

    [Fact]
    public void Exclusive_HoldsWhenFirst_ElseWatchesOnlyItsPredecessor()
    {
        var queue = Queue("www");
        Assert.Equal(new QueueDecision(true, -1, false), QueueDecision.For(queue, 0, LockAccess.Exclusive, 1));
        Assert.Equal(new QueueDecision(false, 1, false), QueueDecision.For(queue, 2, LockAccess.Exclusive, 1));
    }

    [Fact]
    public void Reader_WaitsOnlyForTheNearestWriterAhead_AWriterForWhoeverIsAhead()
    {
        var queue = Queue("rwrwrr");
        Assert.True(QueueDecision.For(queue, 0, LockAccess.Shared, 1).Holds);
        Assert.Equal(1, QueueDecision.For(queue, 2, LockAccess.Shared, 1).WatchIndex);
        Assert.Equal(3, QueueDecision.For(queue, 5, LockAccess.Shared, 1).WatchIndex);
        Assert.Equal(0, QueueDecision.For(queue, 1, LockAccess.Exclusive, 1).WatchIndex);
        Assert.Equal(1, QueueDecision.HolderCount(queue, LockKind.ReaderWriter, 1));
    }

    [Fact]
    public void Readers_AtTheHead_AllHold()
    {
        var queue = Queue("rrrw");
        Assert.All([0, 1, 2], i => Assert.True(QueueDecision.For(queue, i, LockAccess.Shared, 1).Holds));
        Assert.Equal(2, QueueDecision.For(queue, 3, LockAccess.Exclusive, 1).WatchIndex);
        Assert.Equal(3, QueueDecision.HolderCount(queue, LockKind.ReaderWriter, 1));
    }

    [Fact]
    public void Semaphore_FirstNHold_TheFirstWaiterWatchesAll_LaterOnesTheirPredecessor()
    {
        var queue = Queue("wwww");
        Assert.True(QueueDecision.For(queue, 1, LockAccess.Exclusive, 2).Holds);
        Assert.Equal(new QueueDecision(false, -1, true), QueueDecision.For(queue, 2, LockAccess.Exclusive, 2));
        Assert.Equal(2, QueueDecision.For(queue, 3, LockAccess.Exclusive, 2).WatchIndex);
        Assert.Equal(2, QueueDecision.HolderCount(queue, LockKind.Semaphore, 2));
        Assert.Equal(4, QueueDecision.HolderCount(queue, LockKind.Semaphore, 9));
    }

    [Fact]
    public void EmptyQueue_HasNoHolders_AndAPositionOutsideTheQueueIsRefused()
    {
        Assert.Equal(0, QueueDecision.HolderCount(Queue(""), LockKind.Lock, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => QueueDecision.For(Queue("w"), 1, LockAccess.Exclusive, 1));
    }

    [Fact]
    public void EveryQueue_HasExactlyHolderCountHolders_AndEveryWaiterWatchesSomethingAhead()
    {
        // Every queue of up to 6 entries, readers and writers, as a lock, reader-writer lock or semaphore.
        for (var length = 1; length <= 6; length++)
        {
            for (var mask = 0; mask < 1 << length; mask++)
            {
                var queue = Enumerable.Range(0, length).Select(i => new Entry((mask >> i & 1) == 1 ? LockAccess.Shared : LockAccess.Exclusive)).ToList();
                foreach (var (kind, permits) in new[] { (LockKind.ReaderWriter, 1), (LockKind.Semaphore, 3) })
                {
                    if (kind == LockKind.Semaphore && queue.Any(e => e.Access == LockAccess.Shared))
                    {
                        continue;
                    }

                    var decisions = queue.Select((e, i) => QueueDecision.For(queue, i, e.Access, permits)).ToList();
                    var holders = decisions.TakeWhile(d => d.Holds).Count();
                    Assert.Equal(QueueDecision.HolderCount(queue, kind, permits), holders);
                    Assert.All(decisions.Skip(holders), d => Assert.False(d.Holds));
                    Assert.All(decisions.Select((d, i) => (d, i)).Where(x => !x.d.Holds), x => Assert.True(x.d.WatchAll || (x.d.WatchIndex >= 0 && x.d.WatchIndex < x.i)));
                }
            }
        }
    }
}
