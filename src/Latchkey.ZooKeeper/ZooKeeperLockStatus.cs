using System.Runtime.CompilerServices;
using System.Text;
using Latchkey.Backend;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper;

/// <summary>
/// Who holds and who waits, read from a queue's children (the holders' czxid and value from pipelined
/// <c>getData</c>s), and watched: the children watch, plus the leader's data for an election.
/// </summary>
internal static class ZooKeeperLockStatus
{
    public static async Task<LockStatus> ReadAsync(ZooKeeperClient client, ZooKeeperLayout layout, LockKind kind, string name, string escapedName, Action<WatchedEvent>? watcher, CancellationToken cancellationToken)
    {
        var parent = layout.ParentPath(kind, escapedName);
        ZooKeeperChildrenResult listing;
        try
        {
            listing = await client.GetChildrenAsync(parent, watcher, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            if (watcher is not null && await client.ExistsAsync(parent, watcher, cancellationToken).ConfigureAwait(false) is not null)
            {
                return await ReadAsync(client, layout, kind, name, escapedName, watcher, cancellationToken).ConfigureAwait(false);
            }

            return new LockStatus(kind, name, [], []);
        }

        var queue = layout.ParseQueue(kind, listing.Children);
        var holderCount = QueueDecision.HolderCount(queue, kind, queue.Count > 0 ? queue[0].Permits : 1);

        // Pipelined reads of the holders' data and stat: the value (elections) and the fencing token (czxid).
        var reads = queue.Take(holderCount).Select(e => client.GetDataAsync($"{parent}/{e.Name}", kind == LockKind.Election ? watcher : null, cancellationToken)).ToList();
        var holders = new List<LockParticipant>(holderCount);
        for (var i = 0; i < reads.Count; i++)
        {
            try
            {
                var read = await reads[i].ConfigureAwait(false);
                var value = kind == LockKind.Election ? Encoding.UTF8.GetString(read.Data) : null;
                holders.Add(new LockParticipant(queue[i].Name, queue[i].Access, read.Stat.Czxid, value, DateTimeOffset.FromUnixTimeMilliseconds(read.Stat.Ctime)));
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                // Released between the listing and the read; the children watch reports the change.
            }
        }

        var waiters = queue.Skip(holderCount).Select(e => new LockParticipant(e.Name, e.Access, e.Sequence)).ToList();
        return new LockStatus(kind, name, holders, waiters);
    }

    public static async IAsyncEnumerable<LockStatus> WatchAsync(ZooKeeperSessions sessions, ZooKeeperLayout layout, LockKind kind, string name, string escapedName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Action<WatchedEvent> watcher = _ => changed.TrySetResult();
            var client = await sessions.GetAsync(cancellationToken).ConfigureAwait(false);
            LockStatus status;
            try
            {
                status = await ReadAsync(client, layout, kind, name, escapedName, watcher, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.SessionExpired or ZooKeeperErrorCode.ConnectionLoss)
            {
                continue; // Read again on the reconnected (or new) session.
            }

            yield return status;
            try
            {
                await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    await ForgetWatcherAsync(client, layout.ParentPath(kind, escapedName), watcher, status).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task ForgetWatcherAsync(ZooKeeperClient client, string parent, Action<WatchedEvent> watcher, LockStatus status)
    {
        await client.RemoveWatcherAsync(parent, watcher, CancellationToken.None).ConfigureAwait(false);
        foreach (var holder in status.Holders)
        {
            await client.RemoveWatcherAsync($"{parent}/{holder.Id}", watcher, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
