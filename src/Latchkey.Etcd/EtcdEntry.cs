using Google.Protobuf;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// The queue's first step: one transaction that puts an acquisition's key with its lease and reads the newest
/// blockers created before it. A retry whose first attempt went through (its reply was lost) finds its own key
/// and keeps that place: a put keeps a key's create revision.
/// </summary>
internal sealed class EtcdEntry(EtcdClient client, EtcdKeyspace keys, EtcdQueueReader reader, EtcdBatcher? batcher)
{
    /// <summary>
    /// Enters the queue. A try-acquire of an exclusive lock or a read lock writes its key only if there is no
    /// blocker at all (a compare over the blockers' range), so one that finds the lock taken writes nothing:
    /// <see langword="null"/>.
    /// </summary>
    public async ValueTask<EtcdQueueView?> EnterAsync(EtcdLockAcquisition acquisition, CancellationToken cancellationToken)
    {
        var request = acquisition.Request;
        var blockers = keys.BlockersPrefix(request);
        var exclusive = EtcdQueueReader.PermitsOf(request) == 1;
        if (!request.Wait && exclusive)
        {
            return await TryEnterAsync(acquisition, blockers, cancellationToken).ConfigureAwait(false);
        }

        var oursAmongThem = acquisition.Key.Span.StartsWith(blockers.Span);
        if (oursAmongThem && exclusive)
        {
            return await EnterExclusiveAsync(acquisition, blockers, cancellationToken).ConfigureAwait(false);
        }

        // Readers and semaphore permits: if our key's create revision is 0, put it and read the newest keys; else read it.
        var txn = new TxnRequest
        {
            Compare = { EtcdRequests.CreateRevisionIs(acquisition.Key, 0) },
            Success =
            {
                Put(acquisition),
                new RequestOp { RequestRange = EtcdRequests.NewestFirst(blockers, EtcdQueueReader.NeedOf(request) + (oursAmongThem ? 1 : 0)) },
            },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = acquisition.Key, KeysOnly = true } } },
        };

        var response = await client.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (response.Succeeded)
        {
            // Our put is the newest write, so every other key read here was created before ours.
            acquisition.Entered(response.Header.Revision);
            var range = response.Responses[1].ResponseRange;
            return new EtcdQueueView(response.Header.Revision, range.Kvs.Where(kv => kv.Key != acquisition.Key).ToList(), range.More);
        }

        var existing = response.Responses[0].ResponseRange.Kvs;
        if (existing.Count == 0)
        {
            throw new LockLostException($"etcd key '{acquisition.Key.ToStringUtf8()}' vanished while entering the queue.");
        }

        acquisition.Entered(existing[0].CreateRevision);
        return await reader.RecheckAsync(acquisition, 0, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<EtcdQueueView?> TryEnterAsync(EtcdLockAcquisition acquisition, ByteString blockers, CancellationToken cancellationToken)
    {
        var attempt = new TxnRequest
        {
            Compare = { EtcdRequests.NoKeyIn(blockers) },
            Success = { Put(acquisition) },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = acquisition.Key, KeysOnly = true } } },
        };
        var reply = await client.TxnAsync(attempt, cancellationToken).ConfigureAwait(false);
        if (reply.Succeeded)
        {
            acquisition.Entered(reply.Header.Revision);
            return EtcdQueueView.Alone(reply.Header.Revision);
        }

        var ours = reply.Responses[0].ResponseRange.Kvs;
        if (ours.Count == 0)
        {
            return null;
        }

        // A retry whose first attempt went through: our key is among the blockers. Read where it stands.
        acquisition.Entered(ours[0].CreateRevision);
        return await reader.RecheckAsync(acquisition, 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The entry of an exclusive acquisition (lock, election, writer), shaped for the uncontended case: if no key
    /// at all is under the name, only our put; else our put and a read of the newest blockers (etcd applies a
    /// transaction whose success is a lone put faster than one that also reads). With
    /// <see cref="EtcdOptimizations.Batching"/>, entries asked for together go in one transaction instead.
    /// </summary>
    private async ValueTask<EtcdQueueView?> EnterExclusiveAsync(EtcdLockAcquisition acquisition, ByteString blockers, CancellationToken cancellationToken)
    {
        if (batcher?.TryBatchEntryAsync(acquisition.Key, acquisition.Value, acquisition.Lease.Id, blockers) is { } batched)
        {
            // Awaited whatever the caller's cancellation: once it is sent, only its outcome says whether our key
            // exists, and the caller's way out (a withdraw) must come after it.
            var outcome = await batched.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return await AfterPutAsync(acquisition, outcome.Revision, outcome.Previous, outcome.Newest, outcome.More, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var txn = new TxnRequest
            {
                Compare = { EtcdRequests.NoKeyIn(blockers) },
                Success = { Put(acquisition) },
                Failure = { EtcdRequests.Entry(acquisition.Key, acquisition.Value, acquisition.Lease.Id, blockers) },
            };

            var response = await client.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            if (response.Succeeded)
            {
                acquisition.Entered(response.Header.Revision);
                return EtcdQueueView.Alone(response.Header.Revision);
            }

            var range = response.Responses[1].ResponseRange;
            return await AfterPutAsync(acquisition, response.Header.Revision, response.Responses[0].ResponsePut.PrevKv, range.Kvs, range.More, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            batcher?.EndAlone();
        }
    }

    /// <summary>
    /// Where an entry's put (with <c>prev_kv</c>) and read of the newest keys under the name leave it: a put that
    /// replaced our own key was a retry, which keeps the key's first place (read again from there); otherwise our
    /// put is the newest write, so every other key read with it was created before ours.
    /// </summary>
    private async ValueTask<EtcdQueueView?> AfterPutAsync(EtcdLockAcquisition acquisition, long revision, KeyValue? previous, IEnumerable<KeyValue> newest, bool more, CancellationToken cancellationToken)
    {
        if (previous is not null)
        {
            acquisition.Entered(previous.CreateRevision);
            return await reader.RecheckAsync(acquisition, 0, cancellationToken).ConfigureAwait(false);
        }

        acquisition.Entered(revision);
        return new EtcdQueueView(revision, newest.Where(kv => kv.Key != acquisition.Key).ToList(), more);
    }

    private static RequestOp Put(EtcdLockAcquisition acquisition) =>
        new() { RequestPut = new PutRequest { Key = acquisition.Key, Value = acquisition.Value, Lease = acquisition.Lease.Id } };
}
