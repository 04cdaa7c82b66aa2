using Google.Protobuf;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// The <see cref="EtcdOptimizations.Following"/> seam: a waiter whose predecessor is an acquisition of this provider
/// and lease follows that acquisition in the process instead of watching its key on etcd. Its acquisition tells it
/// when it holds and when its deletion is answered, so the waiter needs no watch and no read of its own, and a
/// hand-off costs the releaser's delete with no event in between. Global first-come-first-served order is untouched:
/// each waiter keeps its own key in the one queue.
/// </summary>
internal sealed class EtcdFollowing(EtcdQueueReader reader, EtcdParts parts)
{
    private const int FirstSweep = 64;
    private readonly Dictionary<ByteString, EtcdLockAcquisition> _byKey = [];
    private int _sweepAt = FirstSweep;

    /// <summary>Lets later waiters of this provider find <paramref name="acquisition"/> by its key, until its key is gone or in doubt.</summary>
    /// <remarks>
    /// An acquisition does not tell us that it ended (it knows nothing of us): ended ones are dropped here, all at
    /// once whenever the table has doubled since the last sweep, so it holds at most twice the live ones.
    /// </remarks>
    public void Offer(EtcdLockAcquisition acquisition)
    {
        lock (_byKey)
        {
            _byKey[acquisition.Key] = acquisition;
            if (_byKey.Count < _sweepAt)
            {
                return;
            }

            foreach (var (key, offered) in _byKey)
            {
                if (offered.KeyEnded)
                {
                    _byKey.Remove(key);
                }
            }

            _sweepAt = Math.Max(FirstSweep, 2 * _byKey.Count);
        }
    }

    /// <summary>
    /// <paramref name="acquisition"/>'s predecessor, if it is this provider's and of the same lease (which it then
    /// outlives no more than we do), found by that very key; the create revision tells it from an earlier or later
    /// acquisition of the same key. One whose key is gone or in doubt is not followed: we watch it on etcd.
    /// </summary>
    public EtcdLockAcquisition? Find(EtcdLockAcquisition acquisition, KeyValue predecessor)
    {
        EtcdLockAcquisition? ahead;
        lock (_byKey)
        {
            ahead = _byKey.GetValueOrDefault(predecessor.Key);
        }

        return ahead is not null && ahead.Lease == acquisition.Lease && ahead.CreateRevision == predecessor.CreateRevision && !ahead.KeyEnded
            ? ahead
            : null;
    }

    /// <summary>
    /// Waits for an exclusive turn behind <paramref name="predecessor"/>. Once it holds (or our read showed it alone
    /// ahead of us), its deletion hands us the lock. Its acquisition tells first, before its own caller learns of it,
    /// so we never act on news that etcd has not committed. Anything else (it withdrew, its key vanished, its delete
    /// is in doubt) sends us back to read the queue.
    /// </summary>
    public async ValueTask<EtcdQueueView> WaitBehindAsync(EtcdLockAcquisition acquisition, EtcdLockAcquisition predecessor, EtcdQueueView view, CancellationToken cancellationToken)
    {
        var ownKeyGone = acquisition.NewWake().Task;
        var (held, gone) = predecessor.Follow();
        var nextInLine = view.NextInLine;
        parts.Counters.WaitFollowing();
        if (!nextInLine && predecessor.BlockedByAllBefore)
        {
            // It holds only when no key before it is left, so from then on only it stands before us.
            await Task.WhenAny(held, gone, ownKeyGone).WaitAsync(cancellationToken).ConfigureAwait(false);
            nextInLine = held.IsCompleted;
            if (nextInLine && !gone.IsCompleted)
            {
                parts.Instruments.WaiterLookedAhead();
            }
        }

        await Task.WhenAny(gone, ownKeyGone).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!gone.IsCompleted)
        {
            return await reader.RecheckAsync(acquisition, 0, cancellationToken).ConfigureAwait(false); // reports our key gone
        }

        parts.Instruments.WaiterWokenUp();
        if (await gone.ConfigureAwait(false) is not { } deletedAt)
        {
            return await reader.RecheckAsync(acquisition, 0, cancellationToken).ConfigureAwait(false);
        }

        if (nextInLine && !acquisition.OwnKeyGone)
        {
            return EtcdQueueView.Alone(deletedAt);
        }

        return await reader.RecheckAsync(acquisition, deletedAt, cancellationToken).ConfigureAwait(false);
    }
}
