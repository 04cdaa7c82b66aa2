namespace Latchkey.Backend;

/// <summary>An entry of a primitive's queue, as the queue rule needs to see it.</summary>
internal interface IQueueEntry
{
    /// <summary>Whether the entry wants to share the primitive (a reader) or hold it alone.</summary>
    LockAccess Access { get; }
}

/// <summary>
/// What a queued entry does next: hold, or wait on exactly one thing. Written once here for every
/// backend that keeps an ordered queue (ZooKeeper, etcd, memory); Redis's <c>acquire.lua</c> restates it
/// in Lua, and a property test checks the two agree.
/// </summary>
/// <param name="Holds">The entry holds the primitive.</param>
/// <param name="WatchIndex">The index of the one entry to watch until it changes or goes; -1 when none.</param>
/// <param name="WatchAll">Watch the whole queue instead (the first waiter of a semaphore of more than one permit).</param>
internal readonly record struct QueueDecision(bool Holds, int WatchIndex, bool WatchAll)
{
    private static readonly QueueDecision Hold = new(true, -1, false);

    /// <summary>Decides for the entry at <paramref name="me"/> of <paramref name="queue"/>, ordered oldest first.</summary>
    /// <remarks>
    /// These rules keep waiting herd-free and FIFO: each release or withdrawal wakes the one entry whose
    /// standing it can change. Exclusive with one permit (locks, writers, candidates): hold when first, else
    /// watch the immediate predecessor (a writer also waits for readers ahead of it). Readers: hold when no
    /// writer is ahead, else watch the nearest writer ahead. A semaphore of N permits: the first N hold. The
    /// first waiter (at N) can be promoted by any holder's release, so it watches the whole queue; a later
    /// waiter can be promoted only when the waiter just ahead of it is promoted or withdraws, so it watches
    /// that one.
    /// </remarks>
    public static QueueDecision For<T>(IReadOnlyList<T> queue, int me, LockAccess access, int permits)
        where T : IQueueEntry
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentOutOfRangeException.ThrowIfNegative(me);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(me, queue.Count);
        if (access == LockAccess.Shared)
        {
            for (var i = me - 1; i >= 0; i--)
            {
                if (queue[i].Access == LockAccess.Exclusive)
                {
                    return new QueueDecision(false, i, false);
                }
            }

            return Hold;
        }

        if (permits <= 1)
        {
            return me == 0 ? Hold : new QueueDecision(false, me - 1, false);
        }

        if (me < permits)
        {
            return Hold;
        }

        return me == permits ? new QueueDecision(false, -1, true) : new QueueDecision(false, me - 1, false);
    }

    /// <summary>How many entries at the head of <paramref name="queue"/> hold a primitive of <paramref name="kind"/> with <paramref name="permits"/> permits.</summary>
    public static int HolderCount<T>(IReadOnlyList<T> queue, LockKind kind, int permits)
        where T : IQueueEntry
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (queue.Count == 0)
        {
            return 0;
        }

        switch (kind)
        {
            case LockKind.ReaderWriter when queue[0].Access == LockAccess.Shared:
                var readers = 0;
                while (readers < queue.Count && queue[readers].Access == LockAccess.Shared)
                {
                    readers++;
                }

                return readers;
            case LockKind.Semaphore:
                return Math.Min(queue.Count, Math.Max(permits, 1));
            default:
                return 1;
        }
    }
}
