namespace Latchkey.ZooKeeper.Tests;

/// <summary>The queue rules on their own: who holds, and the one thing each waiter watches.</summary>
public sealed class QueueDecisionTests
{
    private static List<ZooKeeperQueueEntry> Queue(params string[] names) => ZooKeeperQueueEntry.ParseAll(names);

    private static string Node(string tag, int sequence) => $"{tag}-{Guid.NewGuid():N}-{sequence:D10}";

    [Fact]
    public void Parse_SortsBySequence_AndIgnoresForeignChildren()
    {
        var queue = Queue("lock-0000000012", Node("lock", 3), "not-a-lock", "read-abc-00000000x1", Node("read", 7));
        Assert.Equal([3L, 7L, 12L], queue.Select(e => e.Sequence));
        Assert.Equal(LockAccess.Shared, queue[1].Access);
        Assert.Equal(LockAccess.Exclusive, queue[2].Access);
    }

    [Fact]
    public void Parse_ReadsSemaphorePermitsFromTheName()
    {
        var entry = Assert.Single(Queue(Node("sem-p5", 1)));
        Assert.Equal(5, entry.Permits);
    }

    [Fact]
    public void Exclusive_HoldsWhenFirst_ElseWatchesOnlyItsPredecessor()
    {
        var queue = Queue(Node("lock", 1), Node("lock", 2), Node("lock", 3));
        Assert.True(ZooKeeperQueueDecision.For(queue, 0, LockAccess.Exclusive, 1).Holds);
        var third = ZooKeeperQueueDecision.For(queue, 2, LockAccess.Exclusive, 1);
        Assert.False(third.Holds);
        Assert.Equal(queue[1].Name, third.WatchNode);
    }

    [Fact]
    public void Reader_WaitsOnlyForTheNearestWriterAhead()
    {
        var queue = Queue(Node("read", 1), Node("write", 2), Node("read", 3), Node("write", 4), Node("read", 5), Node("read", 6));
        Assert.True(ZooKeeperQueueDecision.For(queue, 0, LockAccess.Shared, 1).Holds);
        Assert.Equal(queue[1].Name, ZooKeeperQueueDecision.For(queue, 2, LockAccess.Shared, 1).WatchNode);
        Assert.Equal(queue[3].Name, ZooKeeperQueueDecision.For(queue, 5, LockAccess.Shared, 1).WatchNode);
        Assert.Equal(queue[0].Name, ZooKeeperQueueDecision.For(queue, 1, LockAccess.Exclusive, 1).WatchNode);
        Assert.Equal(1, ZooKeeperQueueDecision.HolderCount(queue, LockKind.ReaderWriter));
    }

    [Fact]
    public void Semaphore_FirstNHold_TheFirstWaiterWatchesChildren_LaterOnesTheirPredecessor()
    {
        var queue = Queue(Node("sem-p2", 1), Node("sem-p2", 2), Node("sem-p2", 3), Node("sem-p2", 4));
        Assert.True(ZooKeeperQueueDecision.For(queue, 1, LockAccess.Exclusive, 2).Holds);
        Assert.True(ZooKeeperQueueDecision.For(queue, 2, LockAccess.Exclusive, 2).WatchChildren);
        Assert.Equal(queue[2].Name, ZooKeeperQueueDecision.For(queue, 3, LockAccess.Exclusive, 2).WatchNode);
        Assert.Equal(2, ZooKeeperQueueDecision.HolderCount(queue, LockKind.Semaphore));
    }
}
