using Latchkey.Backend;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>The queue's re-check: reads the blockers created before an acquisition's key, checking in the same transaction that the key is still its own.</summary>
internal sealed class EtcdQueueReader(EtcdClient client, EtcdKeyspace keys)
{
    /// <summary>
    /// How many of the newest blockers one read needs: two for one permit (our predecessor and the key ahead of
    /// it, see <see cref="EtcdLookAhead"/>), or for a semaphore, enough to tell holders from the first waiter.
    /// </summary>
    public static int NeedOf(LockRequest request) => PermitsOf(request) == 1 ? 2 : PermitsOf(request) + 1;

    public static int PermitsOf(LockRequest request) => request.Kind == LockKind.Semaphore ? request.Permits : 1;

    /// <summary>
    /// Reads the blockers again after our watch reported <paramref name="seenAtRevision"/> (its start, or an
    /// event; 0 when nothing was seen). The read is serializable then: the member answers from its own store,
    /// without a round of Raft's read index. That is safe because a member that has applied
    /// <paramref name="seenAtRevision"/> has applied our key's creation and every blocker's, and blockers only
    /// ever go away: one it still lists holds us back no longer than the event we then wait for; one it does not
    /// list is gone for good. A member behind that revision (another endpoint after a fail-over) does not
    /// qualify: then we read again, linearizably.
    /// </summary>
    public async ValueTask<EtcdQueueView> RecheckAsync(EtcdLockAcquisition acquisition, long seenAtRevision, CancellationToken cancellationToken)
    {
        var createRevision = acquisition.CreateRevision;
        var range = EtcdRequests.NewestFirst(keys.BlockersPrefix(acquisition.Request), NeedOf(acquisition.Request), before: createRevision);
        range.Serializable = seenAtRevision > 0;
        var txn = new TxnRequest
        {
            Compare = { EtcdRequests.CreateRevisionIs(acquisition.Key, createRevision) },
            Success = { new RequestOp { RequestRange = range } },
        };

        var response = await client.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (response.Header.Revision < seenAtRevision)
        {
            return await RecheckAsync(acquisition, 0, cancellationToken).ConfigureAwait(false);
        }

        if (!response.Succeeded)
        {
            acquisition.MarkOwnKeyGone();
            throw new LockLostException(
                $"The etcd key '{acquisition.Key.ToStringUtf8()}' of a waiter for {acquisition.What} was deleted (its lease expired or was revoked, or someone removed it).");
        }

        var blockers = response.Responses[0].ResponseRange;
        return new EtcdQueueView(response.Header.Revision, blockers.Kvs, blockers.More);
    }
}
