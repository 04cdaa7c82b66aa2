using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// Puts the exclusive acquisitions' entries into the queue, and the releases' deletes, that one provider's callers
/// ask etcd for at the same time into one transaction: one Raft entry and one apply instead of one each, which is
/// what bounds a busy etcd. A caller's request goes out alone, as it would without this class, while fewer than
/// <see cref="MaxInFlight"/> requests are unanswered; otherwise it waits for the next request, which takes what
/// waited by then. So a lone caller never waits, and a request waits behind at most one other.
/// </summary>
/// <remarks>
/// A batched entry is put without a compare and reads the newest keys under its name in the same transaction
/// (<c>prev_kv</c> tells a retried put, whose key keeps its create revision, from a new one), exactly as the
/// unbatched wait path does. One transaction never carries two entries for one name (they would share a create
/// revision, and each would see the other as its predecessor) nor two leases (a dead one would fail the others).
/// </remarks>
internal sealed class EtcdBatcher
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
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];
    private readonly List<Delete> _deletes = [];
    private int _inFlight;
    private long _sequence;
    private long _batches;
    private long _batched;

    public EtcdBatcher(EtcdClient client)
    {
        _client = client;
    }

    /// <summary>Test hook: transactions sent for callers that waited to be batched (one request or more each).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Test hook: callers' requests those transactions carried.</summary>
    public long Batched => Interlocked.Read(ref _batched);

    /// <summary>
    /// Asks to put an entry: <see langword="null"/> if the caller should send its own request now (then it must
    /// call <see cref="Done"/> once answered), else the batched outcome to await.
    /// </summary>
    public Task<EntryOutcome>? TryBatchEntryAsync(ByteString key, ByteString value, long lease, ByteString blockers)
    {
        lock (_gate)
        {
            if (_inFlight < MaxInFlight)
            {
                _inFlight++;
                return null;
            }

            var entry = new Entry(key, value, lease, blockers, ++_sequence);
            _entries.Add(entry);
            return entry.Outcome.Task;
        }
    }

    /// <summary>As <see cref="TryBatchEntryAsync"/>, for the delete of a released key.</summary>
    public Task? TryBatchDeleteAsync(ByteString key)
    {
        lock (_gate)
        {
            if (_inFlight < MaxInFlight)
            {
                _inFlight++;
                return null;
            }

            var delete = new Delete(key, ++_sequence);
            _deletes.Add(delete);
            return delete.Outcome.Task;
        }
    }

    /// <summary>A caller's own request was answered: its slot goes to whatever waited meanwhile.</summary>
    public void Done()
    {
        if (TakeWaiting() is { } next)
        {
            _ = SendBatchesAsync(next);
        }
    }

    private async Task SendBatchesAsync(Batch batch)
    {
        do
        {
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _batched, batch.Count);
            var txn = new TxnRequest();
            foreach (var entry in batch.Entries)
            {
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = entry.Key, Value = entry.Value, Lease = entry.Lease, PrevKv = true } });
                txn.Success.Add(new RequestOp { RequestRange = EtcdRequests.NewestFirst(entry.Blockers, 2) });
            }

            foreach (var delete in batch.Deletes)
            {
                txn.Success.Add(new RequestOp { RequestDeleteRange = EtcdRequests.DeleteOurs(delete.Key) });
            }

            TxnResponse response;
            try
            {
                // Not the callers' cancellation: one caller giving up must not cancel the others' requests.
                response = await _client.TxnAsync(txn, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Every caller of the batch must learn of the failure, whatever it is, or it hangs.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var entry in batch.Entries)
                {
                    entry.Outcome.TrySetException(ForEachCaller(ex));
                }

                foreach (var delete in batch.Deletes)
                {
                    delete.Outcome.TrySetException(ForEachCaller(ex));
                }

                continue;
            }

            for (var i = 0; i < batch.Entries.Count; i++)
            {
                var range = response.Responses[(2 * i) + 1].ResponseRange;
                batch.Entries[i].Outcome.TrySetResult(new EntryOutcome(response.Header.Revision, response.Responses[2 * i].ResponsePut.PrevKv, range.Kvs, range.More));
            }

            foreach (var delete in batch.Deletes)
            {
                delete.Outcome.TrySetResult();
            }
        }
        while ((batch = TakeWaiting()!) is not null);
    }

    /// <summary>One exception object per caller: each one's await adds its own stack to it.</summary>
    private static Exception ForEachCaller(Exception ex) => ex switch
    {
        EtcdLeaseNotFoundException lease => new EtcdLeaseNotFoundException(lease.Message, lease),
        LockBackendUnavailableException unavailable => new LockBackendUnavailableException(unavailable.Message, unavailable),
        _ => ex,
    };

    /// <summary>
    /// What waited for a request, for the next one: the kind that waited longest, at most one entry per name and
    /// entries of one lease only (the rest waits on). Nothing: the slot is free again.
    /// </summary>
    private Batch? TakeWaiting()
    {
        lock (_gate)
        {
            var entriesFirst = _entries.Count > 0 && (_deletes.Count == 0 || _entries[0].Sequence < _deletes[0].Sequence);
            if (entriesFirst)
            {
                var taken = new List<Entry>();
                var names = new HashSet<ByteString>();
                var lease = _entries[0].Lease;
                var bytes = 0;
                for (var i = 0; i < _entries.Count && taken.Count < MaxEntries; i++)
                {
                    var entry = _entries[i];
                    var size = entry.Key.Length + entry.Value.Length + entry.Blockers.Length;
                    if (taken.Count > 0 && bytes + size > MaxBatchBytes)
                    {
                        break;
                    }

                    if (entry.Lease == lease && names.Add(entry.Blockers))
                    {
                        taken.Add(entry);
                        bytes += size;
                    }
                }

                _entries.RemoveAll(taken.Contains);
                return new Batch(taken, []);
            }

            if (_deletes.Count > 0)
            {
                var count = Math.Min(_deletes.Count, MaxDeletes);
                var taken = _deletes.GetRange(0, count);
                _deletes.RemoveRange(0, count);
                return new Batch([], taken);
            }

            _inFlight--;
            return null;
        }
    }

    /// <summary>A batched entry's outcome: the transaction's revision, the key our put replaced (a retry), and the newest keys under the name.</summary>
    public readonly record struct EntryOutcome(long Revision, KeyValue? Previous, RepeatedField<KeyValue> Newest, bool More);

    private sealed record Batch(List<Entry> Entries, List<Delete> Deletes)
    {
        public int Count => Entries.Count + Deletes.Count;
    }

    private sealed class Entry(ByteString key, ByteString value, long lease, ByteString blockers, long sequence)
    {
        public ByteString Key => key;

        public ByteString Value => value;

        public long Lease => lease;

        public ByteString Blockers => blockers;

        public long Sequence => sequence;

        public TaskCompletionSource<EntryOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Delete(ByteString key, long sequence)
    {
        public ByteString Key => key;

        public long Sequence => sequence;

        public TaskCompletionSource Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
