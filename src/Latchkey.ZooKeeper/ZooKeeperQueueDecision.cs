namespace Latchkey.ZooKeeper;

/// <summary>
/// What a queued node does next: hold, or wait on exactly one thing. The rules keep waiting herd-free and
/// FIFO: each release or withdrawal wakes the one node whose standing it can change.
/// </summary>
/// <param name="Holds">The node holds the primitive.</param>
/// <param name="WatchNode">The one node to watch (by name) until it changes or goes.</param>
/// <param name="WatchChildren">Watch the parent's children instead (the first waiting node of a semaphore of more than one permit).</param>
internal readonly record struct ZooKeeperQueueDecision(bool Holds, string? WatchNode, bool WatchChildren)
{
    /// <summary>Decides for the node at <paramref name="me"/> of <paramref name="queue"/>.</summary>
    /// <remarks>
    /// Exclusive with one permit (locks, writers, candidates): hold when first, else watch the immediate
    /// predecessor. Readers: hold when no writer is ahead, else watch the nearest writer ahead. A semaphore of
    /// N permits: hold among the first N. The first waiter (at N) can be promoted by any holder's release,
    /// so it watches the children; a later waiter can be promoted only when the waiter just ahead of it is
    /// promoted or withdraws, so it watches that node, whose data a promoted node touches to say so.
    /// </remarks>
    public static ZooKeeperQueueDecision For(List<ZooKeeperQueueEntry> queue, int me, LockAccess access, int permits)
    {
        if (access == LockAccess.Shared)
        {
            for (var i = me - 1; i >= 0; i--)
            {
                if (queue[i].Access == LockAccess.Exclusive)
                {
                    return new ZooKeeperQueueDecision(false, queue[i].Name, false);
                }
            }

            return new ZooKeeperQueueDecision(true, null, false);
        }

        if (permits <= 1)
        {
            // An exclusive node also waits for readers ahead of it (reader-writer lock).
            return me == 0 ? new ZooKeeperQueueDecision(true, null, false) : new ZooKeeperQueueDecision(false, queue[me - 1].Name, false);
        }

        if (me < permits)
        {
            return new ZooKeeperQueueDecision(true, null, false);
        }

        return me == permits ? new ZooKeeperQueueDecision(false, null, true) : new ZooKeeperQueueDecision(false, queue[me - 1].Name, false);
    }

    /// <summary>How many nodes at the head of the queue hold the primitive.</summary>
    public static int HolderCount(List<ZooKeeperQueueEntry> queue, LockKind kind)
    {
        if (queue.Count == 0)
        {
            return 0;
        }

        return kind switch
        {
            LockKind.ReaderWriter when queue[0].Access == LockAccess.Shared => queue.TakeWhile(e => e.Access == LockAccess.Shared).Count(),
            LockKind.Semaphore => Math.Min(queue.Count, queue[0].Permits),
            _ => 1,
        };
    }
}
