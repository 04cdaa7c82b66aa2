using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Backend;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// The create-revision queue, the lock algorithm of every primitive. Each acquisition puts a key of its own
/// (<see cref="EtcdKeySlots"/>), with the provider's lease, in one transaction that also reads the keys that
/// block it (the newest first). It holds when fewer than <c>permits</c> blockers were created before it;
/// otherwise it watches only the keys whose change can let it in (herd-free, first come first served; see
/// <see cref="WaitInLineAsync"/>) and reads again. Blockers: every earlier key; for a reader, only earlier writers.
/// </summary>
internal static class EtcdQueue
{
    public static async ValueTask<LockAcquisition?> AcquireAsync(EtcdLockBackend backend, LockRequest request, CancellationToken cancellationToken)
    {
        var session = await backend.Leases.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await AcquireAsync(backend, request, session, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdLeaseNotFoundException) when (!session.IsLost)
        {
            // The lease died before the keep-alive noticed (revoked, say): nothing of ours was queued, so
            // take the news now and start again, once, with a fresh lease.
            session.MarkLost("etcd no longer knows the lease");
            session = await backend.Leases.GetAsync(cancellationToken).ConfigureAwait(false);
            return await AcquireAsync(backend, request, session, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask<LockAcquisition?> AcquireAsync(EtcdLockBackend backend, LockRequest request, EtcdSession session, CancellationToken cancellationToken)
    {
        var lease = new EtcdLockAcquisition(backend, request, session, ValueOf(request));
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, session.LostToken);
        var waited = false;
        try
        {
            if (await EnterAsync(backend, lease, abort.Token).ConfigureAwait(false) is not { } view)
            {
                lease.Abandon(); // a try-acquire found it taken and wrote nothing
                return null;
            }

            if (PermitsOf(request) == 1)
            {
                lease.MakeFollowable();
            }

            while (true)
            {
                var step = Decide(backend, request, view);
                if (step.Hold)
                {
                    if (waited && PermitsOf(request) > 1)
                    {
                        await SignalSuccessorAsync(backend, lease, abort.Token).ConfigureAwait(false);
                    }

                    lease.MarkHeld(view.Revision);
                    return lease;
                }

                if (!request.Wait)
                {
                    await lease.WithdrawAsync().ConfigureAwait(false);
                    return null;
                }

                waited = true;
                if (PermitsOf(request) == 1 && FollowableOf(lease, view.Blockers[0]) is { } predecessor)
                {
                    lease.WatchOwnKey(view.Revision, waiting: true, fromSeen: true);
                    view = await WaitBehindAsync(backend, lease, predecessor, view, abort.Token).ConfigureAwait(false);
                    continue;
                }

                lease.WatchOwnKey(view.Revision, waiting: true);
                view = PermitsOf(request) == 1
                    ? await WaitInLineAsync(backend, lease, view, abort.Token).ConfigureAwait(false)
                    : await WaitAsync(backend, lease, step, view, abort.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && session.IsLost)
        {
            await lease.WithdrawAsync().ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(backend.Leases.IsDisposed, backend);
            throw new LockLostException($"The etcd lease was lost while waiting for {Describe(request)}: {session.LostReason}.");
        }
        catch (LockLostException) when (backend.Leases.IsDisposed)
        {
            // Disposing the provider revokes its lease, which deletes our key: a waiter may hear of that first.
            await lease.WithdrawAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(backend.GetType().FullName);
        }
        catch
        {
            await lease.WithdrawAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The first attempt: if our key does not exist, create it with our lease and read the newest blockers.
    /// A try-acquire of an exclusive lock or a read lock writes its key only if there is no blocker at all
    /// (a compare over the blockers' range), so one that finds the lock taken writes nothing: <see langword="null"/>.
    /// </summary>
    internal static async ValueTask<QueueView?> EnterAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, CancellationToken cancellationToken)
    {
        var blockers = backend.Keys.BlockersPrefix(lease.Request);
        if (!lease.Request.Wait && PermitsOf(lease.Request) == 1)
        {
            var attempt = new TxnRequest
            {
                Compare = { EtcdRequests.NoKeyIn(blockers) },
                Success = { new RequestOp { RequestPut = new PutRequest { Key = lease.Key, Value = lease.Value, Lease = lease.Session.Id } } },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = lease.Key, KeysOnly = true } } },
            };
            var reply = await backend.Client.TxnAsync(attempt, cancellationToken).ConfigureAwait(false);
            if (reply.Succeeded)
            {
                lease.CreateRevision = reply.Header.Revision;
                return new QueueView(reply.Header.Revision, [], false);
            }

            var ours = reply.Responses[0].ResponseRange.Kvs;
            if (ours.Count == 0)
            {
                return null;
            }

            // A retry whose first attempt went through: our key is among the blockers. Read where it stands.
            lease.CreateRevision = ours[0].CreateRevision;
            return await RecheckAsync(backend, lease, cancellationToken).ConfigureAwait(false);
        }

        var oursAmongThem = lease.Key.Span.StartsWith(blockers.Span);
        if (oursAmongThem && PermitsOf(lease.Request) == 1)
        {
            return await EnterExclusiveAsync(backend, lease, blockers, cancellationToken).ConfigureAwait(false);
        }

        var txn = new TxnRequest
        {
            Compare = { EtcdRequests.CreateRevisionIs(lease.Key, 0) },
            Success =
            {
                new RequestOp { RequestPut = new PutRequest { Key = lease.Key, Value = lease.Value, Lease = lease.Session.Id } },
                new RequestOp { RequestRange = EtcdRequests.NewestFirst(blockers, NeedOf(lease.Request) + (oursAmongThem ? 1 : 0)) },
            },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = lease.Key, KeysOnly = true } } },
        };

        var response = await backend.Client.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (response.Succeeded)
        {
            // Our put is the newest write, so every other key read here was created before ours.
            lease.CreateRevision = response.Header.Revision;
            var range = response.Responses[1].ResponseRange;
            return new QueueView(response.Header.Revision, range.Kvs.Where(kv => kv.Key != lease.Key).ToList(), range.More);
        }

        // Our key exists already: this is a retry of a request whose reply was lost. Keep that place.
        var existing = response.Responses[0].ResponseRange.Kvs;
        if (existing.Count == 0)
        {
            throw new LockLostException($"etcd key '{lease.Key.ToStringUtf8()}' vanished while entering the queue.");
        }

        lease.CreateRevision = existing[0].CreateRevision;
        return await RecheckAsync(backend, lease, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The first attempt of an exclusive acquisition (lock, election, writer), shaped for the uncontended case:
    /// if no key at all is under the name, only our put; else our put and a read of the newest blockers. etcd
    /// applies a transaction whose success is a lone put about 1.2× as fast as one that also reads (measured:
    /// docs/backends/etcd.md). The put of the failure branch reports the key it replaced: if our key was there
    /// already, this is a retry of a request whose reply was lost, and the key keeps its place (a put keeps a
    /// key's create revision).
    /// </summary>
    private static async ValueTask<QueueView> EnterExclusiveAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, ByteString blockers, CancellationToken cancellationToken)
    {
        if (backend.Batcher.TryBatchEntryAsync(lease.Key, lease.Value, lease.Session.Id, blockers) is { } batched)
        {
            // Awaited whatever the caller's cancellation: once it is sent, only its outcome says whether our key
            // exists, and the caller's way out (a withdraw) must come after it.
            var outcome = await batched.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return await AfterPutAsync(backend, lease, outcome.Revision, outcome.Previous, outcome.Newest, outcome.More, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await EnterAloneAsync(backend, lease, blockers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            backend.Batcher.EndAlone();
        }
    }

    private static async ValueTask<QueueView> EnterAloneAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, ByteString blockers, CancellationToken cancellationToken)
    {
        var txn = new TxnRequest
        {
            Compare = { EtcdRequests.NoKeyIn(blockers) },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = lease.Key, Value = lease.Value, Lease = lease.Session.Id } } },
            Failure = { EtcdRequests.Entry(lease.Key, lease.Value, lease.Session.Id, blockers) },
        };

        var response = await backend.Client.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (response.Succeeded)
        {
            lease.CreateRevision = response.Header.Revision;
            return new QueueView(response.Header.Revision, [], false);
        }

        var range = response.Responses[1].ResponseRange;
        return await AfterPutAsync(backend, lease, response.Header.Revision, response.Responses[0].ResponsePut.PrevKv, range.Kvs, range.More, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Where an entry's put (with <c>prev_kv</c>) and read of the newest keys under the name leave it: a put that
    /// replaced our own key was a retry, which keeps the key's first place (read again from there); otherwise our
    /// put is the newest write, so every other key read with it was created before ours.
    /// </summary>
    private static async ValueTask<QueueView> AfterPutAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, long revision, KeyValue? previous, IEnumerable<KeyValue> newest, bool more, CancellationToken cancellationToken)
    {
        if (previous is not null)
        {
            lease.CreateRevision = previous.CreateRevision;
            return await RecheckAsync(backend, lease, cancellationToken).ConfigureAwait(false);
        }

        lease.CreateRevision = revision;
        return new QueueView(revision, newest.Where(kv => kv.Key != lease.Key).ToList(), more);
    }

    /// <summary>Reads the blockers created before our key, in one transaction that also checks our key is still ours.</summary>
    private static ValueTask<QueueView> RecheckAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, CancellationToken cancellationToken) =>
        RecheckAsync(backend, lease, seenAtRevision: 0, cancellationToken);

    /// <summary>
    /// Reads the blockers again after our watch reported <paramref name="seenAtRevision"/> (its start, or an
    /// event). The read is serializable: the member answers from its own store, without a round of Raft's read
    /// index. That is safe because a member that has applied <paramref name="seenAtRevision"/> has applied our
    /// key's creation and every blocker's, and blockers only ever go away: one it still lists holds us back no
    /// longer than the event we then wait for; one it does not list is gone for good. A member behind that
    /// revision (another endpoint after a fail-over) does not qualify: then we read again, linearizably.
    /// </summary>
    private static async ValueTask<QueueView> RecheckAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, long seenAtRevision, CancellationToken cancellationToken)
    {
        var range = EtcdRequests.NewestFirst(backend.Keys.BlockersPrefix(lease.Request), NeedOf(lease.Request), before: lease.CreateRevision);
        range.Serializable = seenAtRevision > 0;
        var txn = new TxnRequest
        {
            Compare = { EtcdRequests.CreateRevisionIs(lease.Key, lease.CreateRevision) },
            Success = { new RequestOp { RequestRange = range } },
        };

        var response = await backend.Client.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (response.Header.Revision < seenAtRevision)
        {
            return await RecheckAsync(backend, lease, cancellationToken).ConfigureAwait(false);
        }

        if (!response.Succeeded)
        {
            lease.MarkOwnKeyGone();
            throw new LockLostException(
                $"The etcd key '{lease.Key.ToStringUtf8()}' of a waiter for {Describe(lease.Request)} was deleted (its lease expired or was revoked, or someone removed it).");
        }

        var blockers = response.Responses[0].ResponseRange;
        return new QueueView(response.Header.Revision, blockers.Kvs, blockers.More);
    }

    /// <summary>Whether we hold, and if not, which key to watch.</summary>
    private static QueueStep Decide(EtcdLockBackend backend, LockRequest request, QueueView view)
    {
        var permits = PermitsOf(request);
        var count = view.Blockers.Count;
        if (count < permits && !view.More)
        {
            return QueueStep.Holding;
        }

        if (permits > 1 && count == permits && !view.More)
        {
            // First waiter of a semaphore: any holder's deletion frees a permit for us, so watch deletions
            // of the whole name. Only this one waiter does; the others watch their predecessor.
            var all = ByteString.CopyFromUtf8(backend.Keys.NamePrefix(request.Kind, request.EscapedName));
            return new QueueStep(false, all, EtcdKeyspace.RangeEnd(all), DeletesOnly: true, 0, 0);
        }

        // Our immediate predecessor among the blockers. For a semaphore, also its put: the signal that it
        // went from first waiter to holder, which makes us the first waiter.
        var predecessor = view.Blockers[0];
        return permits == 1
            ? new QueueStep(false, predecessor.Key, ByteString.Empty, DeletesOnly: true, predecessor.CreateRevision, 0)
            : new QueueStep(false, predecessor.Key, ByteString.Empty, DeletesOnly: false, predecessor.CreateRevision, predecessor.ModRevision);
    }

    /// <summary>
    /// Waits for the watched key to change, then reads again. The watch starts now (a synced watch: etcd
    /// reports its events at once, while a watch from a past revision waits for a catch-up pass every
    /// 100 ms); if anything was written between our read and the watch's start, we read again and keep
    /// the watch only if it still watches the same key at the same revision.
    /// </summary>
    private static async ValueTask<QueueView> WaitAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, QueueStep step, QueueView view, CancellationToken cancellationToken)
    {
        var wake = lease.NewWake();
        var watch = backend.Watches.Watch(step.WatchKey, step.WatchEnd, 0, step.DeletesOnly, (_, events) =>
        {
            // Count a wake-up once per wait, whether the event or the re-read below finds the change first.
            if (wake.TrySetResult(EtcdLockAcquisition.Wake.Of(events, step.WatchKey)) && events is not null)
            {
                backend.CountWakeUp();
            }
        });

        try
        {
            var createdAt = await watch.Created.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (createdAt != view.Revision)
            {
                var fresh = await RecheckAsync(backend, lease, createdAt, cancellationToken).ConfigureAwait(false);
                if (Decide(backend, lease.Request, fresh) != step)
                {
                    // The watched key changed before the watch started: this read stands in for its event.
                    if (wake.TrySetResult(default))
                    {
                        backend.CountWakeUp();
                    }

                    return fresh;
                }

                view = fresh;
            }

            var woken = await wake.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return await RecheckAsync(backend, lease, woken.Revision, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            backend.Watches.Cancel(watch);
        }
    }

    /// <summary>
    /// Waits for an exclusive turn (a lock, a writer, a candidate; a reader behind writers): watches the deletion
    /// of our predecessor and, while one is there, of the key ahead of it. Those watches start now (a synced
    /// watch: etcd reports its events at once, while a watch from a past revision waits for a catch-up pass every
    /// 100 ms); if anything was written between our read and their start, we read again.
    /// <para>
    /// The key ahead going away is almost always its holder releasing, which leaves our predecessor first in
    /// line; we read the queue then, while the predecessor holds, and when that read shows only the predecessor
    /// ahead of us, its deletion alone hands us the lock, with no read between its event and our turn: a
    /// hand-off costs the releaser's delete and one event. Each release so wakes two waiters at most, whatever
    /// the queue's length: the next in line to take its turn, and the one behind it to look ahead.
    /// </para>
    /// </summary>
    private static async ValueTask<QueueView> WaitInLineAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, QueueView view, CancellationToken cancellationToken)
    {
        var predecessor = view.Blockers[0];
        var wake = lease.NewWake();
        void OnPredecessorEvent(EtcdWatch _, RepeatedField<Event>? events)
        {
            // Count a wake-up once per wait, whether an event (of either watch) or a read finds the change first.
            if (wake.TrySetResult(EtcdLockAcquisition.Wake.Of(events, predecessor.Key)) && events is not null)
            {
                backend.CountWakeUp();
            }
        }

        var watch = backend.Watches.Watch(predecessor.Key, ByteString.Empty, 0, deletesOnly: true, OnPredecessorEvent);
        EtcdWatch? secondWatch = null;
        EtcdWatch? aheadWatch = null;
        TaskCompletionSource<long>? aheadGone = null;

        try
        {
            if (view.Blockers.Count > 1)
            {
                (aheadWatch, aheadGone) = WatchAhead(backend, view.Blockers[1].Key);
            }

            var createdAt = await watch.Created.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (aheadWatch is not null)
            {
                createdAt = Math.Max(createdAt, await aheadWatch.Created.WaitAsync(cancellationToken).ConfigureAwait(false));
            }

            if (createdAt != view.Revision)
            {
                var fresh = await RecheckAsync(backend, lease, createdAt, cancellationToken).ConfigureAwait(false);
                if (!StillInLine(fresh, predecessor, view.Blockers.Count > 1 ? view.Blockers[1] : null))
                {
                    // The line moved before our watches started: this read stands in for their events.
                    if (wake.TrySetResult(default))
                    {
                        backend.CountWakeUp();
                    }

                    return fresh;
                }

                view = fresh;
            }

            backend.CountWaitWatching();
            while (true)
            {
                if (aheadGone is not null && view.Blockers.Count == 1)
                {
                    // The read showed the key ahead gone already: stop watching it.
                    backend.Watches.Cancel(aheadWatch);
                    (aheadWatch, aheadGone) = (null, null);
                }

                if (aheadGone is null)
                {
                    // Next in line: the predecessor's deletion now hands us the lock. etcd starts a watch created
                    // "from now" at the revision it read just before, so a write landing in between leaves the
                    // watch unsynced, and its events wait for etcd's catch-up pass, every 100 ms (seen: ~1 hand-off
                    // in 100 stalled 20-90 ms). A second watch on the same key, started at another moment, makes
                    // that stall need two such races; whichever reports first wakes us, and it needs no read.
                    secondWatch ??= backend.Watches.Watch(predecessor.Key, ByteString.Empty, 0, deletesOnly: true, OnPredecessorEvent, awaitable: false);
                    var woken = await wake.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (woken.PredecessorDeleted && view.Blockers.Count == 1 && !lease.OwnKeyGone)
                    {
                        // Our only blocker is gone, and no key created later can come before ours: we hold it,
                        // without another read.
                        return new QueueView(woken.Revision, [], false);
                    }

                    return await RecheckAsync(backend, lease, woken.Revision, cancellationToken).ConfigureAwait(false);
                }

                await Task.WhenAny(wake.Task, aheadGone.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (wake.Task.IsCompleted)
                {
                    // Our predecessor went first (it withdrew, or its lease expired): read where we stand.
                    return await RecheckAsync(backend, lease, (await wake.Task.ConfigureAwait(false)).Revision, cancellationToken).ConfigureAwait(false);
                }

                backend.CountLookAhead();
                var ahead = await RecheckAsync(backend, lease, await aheadGone.Task.ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                if (!StillInLine(ahead, predecessor, null))
                {
                    if ((ahead.Blockers.Count == 0 || !SameKey(ahead.Blockers[0], predecessor)) && wake.TrySetResult(default))
                    {
                        backend.CountWakeUp(); // the predecessor is gone too: this read stands in for its event
                    }

                    return ahead;
                }

                view = ahead;
            }
        }
        finally
        {
            backend.Watches.Cancel(watch);
            backend.Watches.Cancel(secondWatch);
            backend.Watches.Cancel(aheadWatch);
        }
    }

    /// <summary>
    /// Our predecessor's acquisition, if it is this provider's and of our lease (which it then outlives no more than we
    /// do): found in our lease's own slot table, so by our lease and by that very key; the create revision tells it from
    /// an earlier or later acquisition of the same key.
    /// </summary>
    private static EtcdLockAcquisition? FollowableOf(EtcdLockAcquisition lease, KeyValue predecessor) =>
        lease.Session.Slots.FollowableByKey(predecessor.Key, lease.Session.IdHex) is { } ahead && ahead.CreateRevision == predecessor.CreateRevision
            ? ahead
            : null;

    /// <summary>
    /// Waits for an exclusive turn behind a predecessor of this provider and lease: its acquisition tells us when it
    /// holds and when its deletion is answered, so we wait with no watch and no read of our own. Once it holds (or our
    /// read showed it alone ahead of us), its deletion hands us the lock: a hand-off costs the releaser's delete,
    /// with no event in between. Its acquisition tells first, before its own caller learns of it, so we never act on
    /// news that etcd has not committed. Anything else (it withdrew, its key vanished, its delete is in doubt) sends
    /// us back to read the queue, and a predecessor in doubt is not followed again: we then watch it on etcd.
    /// Global first-come-first-served order is untouched: each waiter keeps its own key in the one queue.
    /// </summary>
    private static async ValueTask<QueueView> WaitBehindAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, EtcdLockAcquisition predecessor, QueueView view, CancellationToken cancellationToken)
    {
        var ownKeyGone = lease.NewWake().Task;
        var (held, gone) = predecessor.Follow();
        var nextInLine = view.Blockers.Count == 1 && !view.More;
        backend.CountWaitFollowing();
        if (!nextInLine && predecessor.BlockedByAllBefore)
        {
            // It holds only when no key before it is left, so from then on only it stands before us.
            await Task.WhenAny(held, gone, ownKeyGone).WaitAsync(cancellationToken).ConfigureAwait(false);
            nextInLine = held.IsCompleted;
            if (nextInLine && !gone.IsCompleted)
            {
                backend.CountLookAhead();
            }
        }

        await Task.WhenAny(gone, ownKeyGone).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!gone.IsCompleted)
        {
            return await RecheckAsync(backend, lease, cancellationToken).ConfigureAwait(false); // reports our key gone
        }

        backend.CountWakeUp();
        var deletedAt = await gone.ConfigureAwait(false);
        if (deletedAt > 0 && nextInLine && !lease.OwnKeyGone)
        {
            return new QueueView(deletedAt, [], false);
        }

        return await RecheckAsync(backend, lease, deletedAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether a read leaves our wait as it is: the same predecessor, and ahead of it nothing or the key we watch.
    /// Keys are compared with their create revisions: a key is reused once gone (<see cref="EtcdKeySlots"/>).
    /// </summary>
    private static bool StillInLine(QueueView fresh, KeyValue predecessor, KeyValue? ahead) =>
        fresh.Blockers.Count > 0 && SameKey(fresh.Blockers[0], predecessor)
        && (fresh.Blockers.Count == 1 || (ahead is not null && SameKey(fresh.Blockers[1], ahead)));

    private static bool SameKey(KeyValue a, KeyValue b) => a.CreateRevision == b.CreateRevision && a.Key == b.Key;

    private static (EtcdWatch Watch, TaskCompletionSource<long> Gone) WatchAhead(EtcdLockBackend backend, ByteString ahead)
    {
        var gone = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = backend.Watches.Watch(ahead, ByteString.Empty, 0, deletesOnly: true, (_, events) =>
            gone.TrySetResult(EtcdLockAcquisition.Wake.Of(events, ahead).Revision));
        return (watch, gone);
    }

    /// <summary>A semaphore waiter that now holds touches its key, so the waiter behind it wakes up as the new first waiter.</summary>
    private static async ValueTask SignalSuccessorAsync(EtcdLockBackend backend, EtcdLockAcquisition lease, CancellationToken cancellationToken)
    {
        var response = await backend.Client.TxnAsync(EtcdRequests.PutIfOurs(lease.Key, lease.CreateRevision, lease.Value, lease.Session.Id), cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
        {
            lease.MarkOwnKeyGone();
            throw new LockLostException($"The etcd key of {Describe(lease.Request)} was deleted as it was acquired.");
        }
    }

    private static int PermitsOf(LockRequest request) => request.Kind == LockKind.Semaphore ? request.Permits : 1;

    /// <summary>
    /// How many of the newest blockers one read needs: two for one permit (our predecessor and the key ahead of
    /// it, see <see cref="WaitInLineAsync"/>), or for a semaphore, enough to tell holders from the first waiter.
    /// </summary>
    private static int NeedOf(LockRequest request) => PermitsOf(request) == 1 ? 2 : PermitsOf(request) + 1;

    private static ByteString ValueOf(LockRequest request) => request.Kind switch
    {
        LockKind.Election => ByteString.CopyFromUtf8(request.Value ?? string.Empty),
        LockKind.Semaphore => ByteString.CopyFromUtf8(request.Permits.ToString(CultureInfo.InvariantCulture)),
        _ => ByteString.Empty,
    };

    private static string Describe(LockRequest request) => request.Kind switch
    {
        LockKind.Lock => $"lock '{request.Name}'",
        LockKind.ReaderWriter => $"{(request.Access == LockAccess.Shared ? "read" : "write")} lock '{request.Name}'",
        LockKind.Semaphore => $"semaphore '{request.Name}'",
        _ => $"election '{request.Name}'",
    };

    /// <summary>What one read of the queue saw: its revision, and the newest blockers created before our key.</summary>
    internal readonly record struct QueueView(long Revision, IReadOnlyList<KeyValue> Blockers, bool More);

    private readonly record struct QueueStep(bool Hold, ByteString WatchKey, ByteString WatchEnd, bool DeletesOnly, long CreateRevision, long ModRevision)
    {
        public static QueueStep Holding => new(true, ByteString.Empty, ByteString.Empty, false, 0, 0);
    }
}
