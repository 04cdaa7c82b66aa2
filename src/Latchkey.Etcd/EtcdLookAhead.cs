using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// The <see cref="EtcdOptimizations.LookAhead"/> seam: an exclusive waiter (a lock, a writer, a candidate; a reader
/// behind writers) watches the deletion of its predecessor and, while one is there, of the key ahead of it.
/// <para>
/// The key ahead going away is almost always its holder releasing, which leaves our predecessor first in line; we
/// read the queue then, while the predecessor holds, and when that read shows only the predecessor ahead of us, its
/// deletion alone hands us the lock, with no read between its event and our turn: a hand-off costs the releaser's
/// delete and one event. Each release so wakes two waiters at most, whatever the queue's length: the next in line
/// to take its turn, and the one behind it to look ahead.
/// </para>
/// </summary>
internal sealed class EtcdLookAhead(EtcdQueueReader reader, EtcdParts parts, EtcdSecondWatch? secondWatch)
{
    /// <summary>
    /// Waits for an exclusive turn. The watches start now (a synced watch: etcd reports its events at once, while a
    /// watch from a past revision waits for a catch-up pass); if anything was written between our read and their
    /// start, we read again.
    /// </summary>
    public async ValueTask<EtcdQueueView> WaitInLineAsync(EtcdLockAcquisition acquisition, EtcdQueueView view, CancellationToken cancellationToken)
    {
        var predecessor = view.Blockers[0];
        var wake = acquisition.NewWake();
        void OnPredecessorEvent(EtcdWatch _, RepeatedField<Event>? events)
        {
            // Count a wake-up once per wait, whether an event (of either watch) or a read finds the change first.
            if (wake.TrySetResult(EtcdWake.Of(events, predecessor.Key)) && events is not null)
            {
                parts.Instruments.WaiterWokenUp();
            }
        }

        var watch = parts.Watches.Watch(predecessor.Key, ByteString.Empty, 0, deletesOnly: true, OnPredecessorEvent);
        EtcdWatch? second = null;
        EtcdWatch? aheadWatch = null;
        TaskCompletionSource<long>? aheadGone = null;

        try
        {
            if (view.Blockers.Count > 1)
            {
                (aheadWatch, aheadGone) = WatchAhead(view.Blockers[1].Key);
            }

            var createdAt = await watch.Created.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (aheadWatch is not null)
            {
                createdAt = Math.Max(createdAt, await aheadWatch.Created.WaitAsync(cancellationToken).ConfigureAwait(false));
            }

            if (createdAt != view.Revision)
            {
                var fresh = await reader.RecheckAsync(acquisition, createdAt, cancellationToken).ConfigureAwait(false);
                if (!StillInLine(fresh, predecessor, view.Blockers.Count > 1 ? view.Blockers[1] : null))
                {
                    // The line moved before our watches started: this read stands in for their events.
                    if (wake.TrySetResult(default))
                    {
                        parts.Instruments.WaiterWokenUp();
                    }

                    return fresh;
                }

                view = fresh;
            }

            parts.Counters.WaitWatching();
            while (true)
            {
                if (aheadGone is not null && view.Blockers.Count == 1)
                {
                    // The read showed the key ahead gone already: stop watching it.
                    parts.Watches.Cancel(aheadWatch);
                    (aheadWatch, aheadGone) = (null, null);
                }

                if (aheadGone is null)
                {
                    // Next in line: the predecessor's deletion now hands us the lock.
                    second ??= secondWatch?.Start(predecessor.Key, OnPredecessorEvent);
                    var woken = await wake.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (woken.PredecessorDeleted && view.Blockers.Count == 1 && !acquisition.OwnKeyGone)
                    {
                        // Our only blocker is gone, and no key created later can come before ours: we hold it,
                        // without another read.
                        return EtcdQueueView.Alone(woken.Revision);
                    }

                    return await reader.RecheckAsync(acquisition, woken.Revision, cancellationToken).ConfigureAwait(false);
                }

                await Task.WhenAny(wake.Task, aheadGone.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (wake.Task.IsCompleted)
                {
                    // Our predecessor went first (it withdrew, or its lease expired): read where we stand.
                    return await reader.RecheckAsync(acquisition, (await wake.Task.ConfigureAwait(false)).Revision, cancellationToken).ConfigureAwait(false);
                }

                parts.Instruments.WaiterLookedAhead();
                var ahead = await reader.RecheckAsync(acquisition, await aheadGone.Task.ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                if (!StillInLine(ahead, predecessor, null))
                {
                    if ((ahead.Blockers.Count == 0 || !SameKey(ahead.Blockers[0], predecessor)) && wake.TrySetResult(default))
                    {
                        parts.Instruments.WaiterWokenUp(); // the predecessor is gone too: this read stands in for its event
                    }

                    return ahead;
                }

                view = ahead;
            }
        }
        finally
        {
            parts.Watches.Cancel(watch);
            parts.Watches.Cancel(second);
            parts.Watches.Cancel(aheadWatch);
        }
    }

    /// <summary>
    /// Whether a read leaves our wait as it is: the same predecessor, and ahead of it nothing or the key we watch.
    /// Keys are compared with their create revisions: a key is reused once gone (<see cref="EtcdKeyNumbers"/>).
    /// </summary>
    private static bool StillInLine(EtcdQueueView fresh, KeyValue predecessor, KeyValue? ahead) =>
        fresh.Blockers.Count > 0 && SameKey(fresh.Blockers[0], predecessor)
        && (fresh.Blockers.Count == 1 || (ahead is not null && SameKey(fresh.Blockers[1], ahead)));

    private static bool SameKey(KeyValue a, KeyValue b) => a.CreateRevision == b.CreateRevision && a.Key == b.Key;

    private (EtcdWatch Watch, TaskCompletionSource<long> Gone) WatchAhead(ByteString ahead)
    {
        var gone = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = parts.Watches.Watch(ahead, ByteString.Empty, 0, deletesOnly: true, (_, events) =>
            gone.TrySetResult(EtcdWake.Of(events, ahead).Revision));
        return (watch, gone);
    }
}
