using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Backend;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// The create-revision queue, the lock algorithm of every primitive, as etcd's own <c>concurrency.Mutex</c> has it:
/// <list type="number">
/// <item><b>Enter</b>: one transaction puts a key of our own with the provider's lease and reads the newest keys
/// that block us, created before ours (<see cref="EtcdEntry"/>). Blockers: every earlier key; for a reader, only
/// earlier writers.</item>
/// <item><b>Decide</b>, by the core's queue rule (<see cref="QueueDecision"/>): hold, or the one key whose change can
/// let us in.</item>
/// <item><b>Wait</b> for that key to go (for a semaphore's waiters, to change), watching only it: herd-free, first come
/// first served.</item>
/// <item><b>Re-check</b>: read the blockers again (<see cref="EtcdQueueReader"/>), and decide again.</item>
/// </list>
/// The measured optimizations sit behind seams of their own (<see cref="EtcdOptimizations"/>): a waiter may follow a
/// predecessor of its own lease in the process (<see cref="EtcdFollowing"/>), or wait in line looking ahead
/// (<see cref="EtcdLookAhead"/>). With every seam off, this file is the whole algorithm; <see cref="EtcdEntry"/> and
/// <see cref="EtcdQueueReader"/> only build and send its two requests.
/// </summary>
internal sealed class EtcdQueue(EtcdParts parts, EtcdEntry entry, EtcdQueueReader reader, EtcdFollowing? following, EtcdLookAhead? lookAhead, EtcdSecondWatch? secondWatch)
{
    public async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var lease = await parts.Leases.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await AcquireAsync(request, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdLeaseNotFoundException) when (!lease.IsLost)
        {
            // The lease died before the keep-alive noticed (revoked, say): nothing of ours was queued, so
            // take the news now and start again, once, with a fresh lease.
            lease.MarkLost("etcd no longer knows the lease");
            lease = await parts.Leases.GetAsync(cancellationToken).ConfigureAwait(false);
            return await AcquireAsync(request, lease, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A new acquisition of <paramref name="request"/> under <paramref name="lease"/>, with a key of its own (or <paramref name="key"/>: a test's retry).</summary>
    public EtcdLockAcquisition NewAcquisition(LockRequest request, EtcdLease lease, EtcdKey? key = null) =>
        new(parts, request, lease, key ?? parts.Numbers.NewKey(parts.Keys.KeyName(request), lease), ValueOf(request));

    /// <summary>The first step alone (for tests).</summary>
    internal ValueTask<EtcdQueueView?> EnterAsync(EtcdLockAcquisition acquisition, CancellationToken cancellationToken) =>
        entry.EnterAsync(acquisition, cancellationToken);

    private async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, EtcdLease lease, CancellationToken cancellationToken)
    {
        var acquisition = NewAcquisition(request, lease);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.LostToken);
        var permits = EtcdQueueReader.PermitsOf(request);
        var waited = false;
        try
        {
            // 1. Enter.
            if (await entry.EnterAsync(acquisition, abort.Token).ConfigureAwait(false) is not { } view)
            {
                acquisition.Abandon(); // a try-acquire found it taken and wrote nothing
                return null;
            }

            if (permits == 1)
            {
                following?.Offer(acquisition);
            }

            while (true)
            {
                // 2. Decide.
                var step = Decide(request, view);
                if (step.Holds)
                {
                    if (waited && permits > 1)
                    {
                        await SignalSuccessorAsync(acquisition, abort.Token).ConfigureAwait(false);
                    }

                    acquisition.MarkHeld(view.Revision);
                    return acquisition;
                }

                if (!request.Wait)
                {
                    await acquisition.WithdrawAsync().ConfigureAwait(false);
                    return null;
                }

                // 3. Wait, and 4. re-check.
                waited = true;
                view = await WaitAsync(acquisition, step, view, abort.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && lease.IsLost)
        {
            await acquisition.WithdrawAsync().ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(parts.Leases.IsDisposed, typeof(EtcdLockBackend));
            throw new LockLostException($"The etcd lease was lost while waiting for {acquisition.What}: {lease.LostReason}.");
        }
        catch (LockLostException) when (parts.Leases.IsDisposed)
        {
            // Disposing the provider revokes its lease, which deletes our key: a waiter may hear of that first.
            await acquisition.WithdrawAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(typeof(EtcdLockBackend).FullName);
        }
        catch
        {
            await acquisition.WithdrawAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Whether we hold, and if not, what to watch. The blockers read are the newest, so our place is their count,
    /// plus one for any older ones (<see cref="EtcdQueueView.More"/>); the rule needs no more than that. Their own
    /// access does not matter: an exclusive entry waits for every key before it, and a reader's blockers are writers.
    /// </summary>
    private Step Decide(LockRequest request, EtcdQueueView view)
    {
        var me = view.Blockers.Count + (view.More ? 1 : 0);
        var access = request.Kind == LockKind.ReaderWriter ? request.Access : LockAccess.Exclusive;
        var queue = new Blocker[me + 1];
        Array.Fill(queue, new Blocker(LockAccess.Exclusive));
        queue[me] = new Blocker(access);
        var decision = QueueDecision.For(queue, me, access, EtcdQueueReader.PermitsOf(request));
        if (decision.Holds)
        {
            return Step.Hold;
        }

        if (decision.WatchAll)
        {
            // First waiter of a semaphore: any holder's deletion frees a permit for us.
            var all = ByteString.CopyFromUtf8(parts.Keys.NamePrefix(request.Kind, request.EscapedName));
            return new Step(false, all, EtcdKeyspace.RangeEnd(all), DeletesOnly: true, 0, 0);
        }

        // The blocker to watch, counted from the newest. A semaphore's later waiter also watches its puts: the signal
        // that it went from first waiter to holder, which makes us the first waiter.
        var watched = view.Blockers[me - 1 - decision.WatchIndex];
        return EtcdQueueReader.PermitsOf(request) == 1
            ? new Step(false, watched.Key, ByteString.Empty, DeletesOnly: true, watched.CreateRevision, 0)
            : new Step(false, watched.Key, ByteString.Empty, DeletesOnly: false, watched.CreateRevision, watched.ModRevision);
    }

    /// <summary>Waits for our turn to come closer: behind a predecessor we can follow in the process, in line looking ahead, or on the watched key.</summary>
    private async ValueTask<EtcdQueueView> WaitAsync(EtcdLockAcquisition acquisition, Step step, EtcdQueueView view, CancellationToken cancellationToken)
    {
        var exclusive = EtcdQueueReader.PermitsOf(acquisition.Request) == 1;
        if (exclusive && following?.Find(acquisition, view.Blockers[0]) is { } predecessor)
        {
            acquisition.WatchOwnKey(view.Revision, waiting: true, fromSeen: true);
            return await following.WaitBehindAsync(acquisition, predecessor, view, cancellationToken).ConfigureAwait(false);
        }

        acquisition.WatchOwnKey(view.Revision, waiting: true);
        if (exclusive && lookAhead is not null)
        {
            return await lookAhead.WaitInLineAsync(acquisition, view, cancellationToken).ConfigureAwait(false);
        }

        return await WaitForChangeAsync(acquisition, step, view, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the watched key to change, then reads again. The watch starts now (a synced watch: etcd reports its
    /// events at once, while a watch from a past revision waits for a catch-up pass); if anything was written between
    /// our read and the watch's start, we read again and keep the watch only if it still watches the same key at the
    /// same revision.
    /// </summary>
    private async ValueTask<EtcdQueueView> WaitForChangeAsync(EtcdLockAcquisition acquisition, Step step, EtcdQueueView view, CancellationToken cancellationToken)
    {
        var wake = acquisition.NewWake();
        void OnEvent(EtcdWatch _, RepeatedField<Event>? events)
        {
            // Count a wake-up once per wait, whether an event or the re-read below finds the change first.
            if (wake.TrySetResult(EtcdWake.Of(events, step.WatchKey)) && events is not null)
            {
                parts.Instruments.WaiterWokenUp();
            }
        }

        var watch = parts.Watches.Watch(step.WatchKey, step.WatchEnd, 0, step.DeletesOnly, OnEvent);
        var second = step.DeletesOnly && step.WatchEnd.IsEmpty && view.NextInLine ? secondWatch?.Start(step.WatchKey, OnEvent) : null;
        try
        {
            var createdAt = await watch.Created.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (createdAt != view.Revision)
            {
                var fresh = await reader.RecheckAsync(acquisition, createdAt, cancellationToken).ConfigureAwait(false);
                if (Decide(acquisition.Request, fresh) != step)
                {
                    // The watched key changed before the watch started: this read stands in for its event.
                    if (wake.TrySetResult(default))
                    {
                        parts.Instruments.WaiterWokenUp();
                    }

                    return fresh;
                }
            }

            if (EtcdQueueReader.PermitsOf(acquisition.Request) == 1)
            {
                parts.Counters.WaitWatching();
            }

            var woken = await wake.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return await reader.RecheckAsync(acquisition, woken.Revision, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            parts.Watches.Cancel(watch);
            parts.Watches.Cancel(second);
        }
    }

    /// <summary>A semaphore waiter that now holds touches its key, so the waiter behind it wakes up as the new first waiter.</summary>
    private async ValueTask SignalSuccessorAsync(EtcdLockAcquisition acquisition, CancellationToken cancellationToken)
    {
        var response = await parts.Client.TxnAsync(EtcdRequests.PutIfOurs(acquisition.Key, acquisition.CreateRevision, acquisition.Value, acquisition.Lease.Id), cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
        {
            acquisition.MarkOwnKeyGone();
            throw new LockLostException($"The etcd key of {acquisition.What} was deleted as it was acquired.");
        }
    }

    private static ByteString ValueOf(LockRequest request) => request.Kind switch
    {
        LockKind.Election => ByteString.CopyFromUtf8(request.Value ?? string.Empty),
        LockKind.Semaphore => ByteString.CopyFromUtf8(request.Permits.ToString(CultureInfo.InvariantCulture)),
        _ => ByteString.Empty,
    };

    /// <summary>A blocker as the queue rule sees it (see <see cref="Decide"/>).</summary>
    private readonly record struct Blocker(LockAccess Access) : IQueueEntry;

    /// <summary>Hold, or the key (or range) to watch and the revisions at which we saw it.</summary>
    private readonly record struct Step(bool Holds, ByteString WatchKey, ByteString WatchEnd, bool DeletesOnly, long CreateRevision, long ModRevision)
    {
        public static Step Hold => new(true, ByteString.Empty, ByteString.Empty, false, 0, 0);
    }
}
