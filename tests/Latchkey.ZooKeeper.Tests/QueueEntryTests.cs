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
    public void ParseCurator_SortsBySequence_AndKeepsEachRecipesNodes()
    {
        string[] children =
        [
            $"_c_{Guid.NewGuid():D}-__WRIT__0000000009", $"_c_{Guid.NewGuid():D}-__READ__0000000004", "lock-0000000002", "keep",
            $"_c_{Guid.NewGuid():D}-lock-0000000011", "__READ__x000000001",
        ];
        var locks = ZooKeeperQueueEntry.ParseAllCurator(children, readerWriter: false);
        Assert.Equal([2L, 11L], locks.Select(e => e.Sequence));
        Assert.All(locks, e => Assert.Equal(LockAccess.Exclusive, e.Access));

        var readerWriter = ZooKeeperQueueEntry.ParseAllCurator(children, readerWriter: true);
        Assert.Equal([4L, 9L], readerWriter.Select(e => e.Sequence));
        Assert.Equal([LockAccess.Shared, LockAccess.Exclusive], readerWriter.Select(e => e.Access));
    }
}
