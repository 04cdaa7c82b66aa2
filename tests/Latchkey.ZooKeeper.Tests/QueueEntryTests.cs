namespace Latchkey.ZooKeeper.Tests;

/// <summary>Reading a queue from ZooKeeper's children (the rules themselves are tested in the core: QueueDecisionTests).</summary>
public sealed class QueueEntryTests
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
    public void ParseCurator_SortsBySequence_ReadersShared_AndIgnoresForeignChildren()
    {
        var queue = ZooKeeperQueueEntry.ParseAllCurator([
            $"_c_{Guid.NewGuid():D}-__WRIT__0000000009", $"_c_{Guid.NewGuid():D}-__READ__0000000004", "lock-0000000002", "keep", $"_c_{Guid.NewGuid():D}-lock-0000000011"]);
        Assert.Equal([2L, 4L, 9L, 11L], queue.Select(e => e.Sequence));
        Assert.Equal([LockAccess.Exclusive, LockAccess.Shared, LockAccess.Exclusive, LockAccess.Exclusive], queue.Select(e => e.Access));
    }
}
