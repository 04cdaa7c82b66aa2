using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Backend;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// Puts the exclusive acquisitions' entries into the queue, and the releases' deletes, that one provider's callers
/// ask etcd for at the same time into one transaction (see <see cref="RequestBatcher{TRequest}"/>): one Raft entry
/// and one apply instead of one each, which is what bounds a busy etcd. A request sent alone is the caller's own,
/// unchanged.
/// </summary>
/// <remarks>
/// A batched entry is put without a compare and reads the newest keys under its name in the same transaction
/// (<c>prev_kv</c> tells a retried put, whose key keeps its create revision, from a new one), exactly as the
/// unbatched wait path does. One transaction carries entries or deletes, never both; never two entries for one
/// name (they would share a create revision, and each would see the other as its predecessor) nor two leases (a
/// dead one would fail the others).
/// </remarks>
internal sealed class EtcdBatcher : RequestBatcher<EtcdBatcher.Request>
{
    /// <summary>Requests that may be unanswered at once before callers wait to be batched.</summary>
    public const int MaxInFlight = 2;

    /// <summary>Entries per transaction: two operations each, and etcd takes 128 by default (<c>--max-txn-ops</c>).</summary>
    public const int MaxEntries = 64;

    /// <summary>Deletes per transaction.</summary>
    public const int MaxDeletes = 128;

    /// <summary>
    /// Bytes of keys and values per transaction, well under etcd's default request limit of 1.5 MiB
    /// (<c>--max-request-bytes</c>): election values may be 64 KiB each, and one oversized batch would fail
    /// every caller in it. An entry larger than this still goes, alone.
    /// </summary>
    public const int MaxBatchBytes = 512 * 1024;

    private readonly EtcdClient _client;

    public EtcdBatcher(EtcdClient client, BackendInstruments instruments)
        : base(MaxInFlight, instruments)
    {
        _client = client;
    }

    /// <summary>
    /// Asks to put an entry: <see langword="null"/> if the caller should send its own request now (then it must
    /// call <see cref="EndAlone"/> once answered), else the batched outcome to await.
    /// </summary>
    public Task<EntryOutcome>? TryBatchEntryAsync(ByteString key, ByteString value, long lease, ByteString blockers)
    {
        var entry = new Entry(key, value, lease, blockers);
        return SendsAlone(entry) ? null : entry.Outcome.Task;
    }

    /// <summary>As <see cref="TryBatchEntryAsync"/>, for the delete of a released key; the outcome is the revision it was answered at.</summary>
    public Task<long>? TryBatchDeleteAsync(ByteString key)
    {
        var delete = new Delete(key);
        return SendsAlone(delete) ? null : delete.Outcome.Task;
    }

    /// <summary>A caller's own request was answered: its slot goes to whatever waited meanwhile.</summary>
    public void EndAlone() => Done();

    /// <summary>
    /// The kind that waited longest: deletes up to <see cref="MaxDeletes"/>, or entries of the first one's lease, at
    /// most one per name, within <see cref="MaxEntries"/> and <see cref="MaxBatchBytes"/>. The rest waits on.
    /// </summary>
    protected override List<Request> TakeBatch(List<Request> waiting)
    {
        var taken = new List<Request>();
        if (waiting[0] is Delete)
        {
            foreach (var request in waiting)
            {
                if (request is Delete && taken.Count < MaxDeletes)
                {
                    taken.Add(request);
                }
            }
        }
        else
        {
            var names = new HashSet<ByteString>();
            var lease = ((Entry)waiting[0]).Lease;
            var bytes = 0;
            foreach (var request in waiting)
            {
                if (request is not Entry entry || entry.Lease != lease)
                {
                    continue;
                }

                var size = entry.Key.Length + entry.Value.Length + entry.Blockers.Length;
                if (taken.Count == MaxEntries || (taken.Count > 0 && bytes + size > MaxBatchBytes))
                {
                    break;
                }

                if (names.Add(entry.Blockers))
                {
                    taken.Add(entry);
                    bytes += size;
                }
            }
        }

        waiting.RemoveAll(taken.Contains);
        return taken;
    }

    protected override async Task SendBatchAsync(List<Request> batch)
    {
        var txn = new TxnRequest();
        foreach (var request in batch)
        {
            if (request is Entry entry)
            {
                txn.Success.Add(EtcdRequests.Entry(entry.Key, entry.Value, entry.Lease, entry.Blockers));
            }
            else
            {
                txn.Success.Add(new RequestOp { RequestDeleteRange = EtcdRequests.DeleteOurs(((Delete)request).Key) });
            }
        }

        // Not the callers' cancellation: one caller giving up must not cancel the others' requests.
        var response = await _client.TxnAsync(txn, CancellationToken.None).ConfigureAwait(false);
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is Entry entry)
            {
                var range = response.Responses[(2 * i) + 1].ResponseRange;
                entry.Outcome.TrySetResult(new EntryOutcome(response.Header.Revision, response.Responses[2 * i].ResponsePut.PrevKv, range.Kvs, range.More));
            }
            else
            {
                ((Delete)batch[i]).Outcome.TrySetResult(response.Header.Revision);
            }
        }
    }

    protected override void Fail(Request request, Exception exception)
    {
        if (request is Entry entry)
        {
            entry.Outcome.TrySetException(exception);
        }
        else
        {
            ((Delete)request).Outcome.TrySetException(exception);
        }
    }

    protected override Exception ForEachCaller(Exception exception) =>
        exception is EtcdLeaseNotFoundException lease ? new EtcdLeaseNotFoundException(lease.Message, lease) : base.ForEachCaller(exception);

    /// <summary>A batched entry's outcome: the transaction's revision, the key our put replaced (a retry), and the newest keys under the name.</summary>
    public readonly record struct EntryOutcome(long Revision, KeyValue? Previous, RepeatedField<KeyValue> Newest, bool More);

    /// <summary>One caller's request: an entry or a delete.</summary>
    internal abstract class Request;

    private sealed class Entry(ByteString key, ByteString value, long lease, ByteString blockers) : Request
    {
        public ByteString Key => key;

        public ByteString Value => value;

        public long Lease => lease;

        public ByteString Blockers => blockers;

        public TaskCompletionSource<EntryOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Delete(ByteString key) : Request
    {
        public ByteString Key => key;

        public TaskCompletionSource<long> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
