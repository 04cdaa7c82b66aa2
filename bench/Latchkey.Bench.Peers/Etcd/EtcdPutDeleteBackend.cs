using System.Collections.Concurrent;
using System.Text;
using Google.Protobuf;
using Latchkey.Backend;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Bench.Peers.Etcd;

/// <summary>
/// NOT A LOCK. The physical limit under any etcd lock: "acquire" is one Put, with the provider's lease, of a key
/// no other live acquisition uses (so it never excludes anyone and never waits), "release" one Delete of it. At
/// the same concurrency it measures the rate of raw Put+Delete pairs the same etcd sustains — two Raft commits per
/// cycle, as a lock needs at least.
/// </summary>
/// <remarks>
/// A key whose delete was answered is used again by a later acquisition of the same name, as Latchkey does: etcd
/// keeps every deleted key in its index until compaction, and a compare or read over a name (the <c>txn</c>
/// shapes) walks them all, so fresh keys would make those shapes slower with every cycle.
/// </remarks>
internal sealed class EtcdPutDeleteBackend : LockBackend
{
    private const string KeyPrefix = "latchkey-peer/putdelete/";
    private readonly PeerEtcdSession _session;
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private long _acquisitions;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ByteString>> _freeKeys = new(StringComparer.Ordinal);

    private readonly string _shape;
    private readonly Lazy<PeerPrefixWatch> _prefixWatch;

    public EtcdPutDeleteBackend(PeerEtcdSession session, string shape)
    {
        _session = session;
        _shape = shape;
        _prefixWatch = new Lazy<PeerPrefixWatch>(() => new PeerPrefixWatch(session));
    }

    public override LockProviderCapabilities Capabilities { get; } = PeerAddress.Capabilities(PeerSchemes.EtcdPutDelete, leases: true);

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken) =>
        await _session.GetLeaseAsync(cancellationToken).ConfigureAwait(false);

    public override async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        PeerAddress.RequireExclusiveLock(request, PeerSchemes.EtcdPutDelete);
        var lease = await _session.GetLeaseAsync(cancellationToken).ConfigureAwait(false);
        var free = _freeKeys.GetOrAdd(request.EscapedName, static _ => new ConcurrentQueue<ByteString>());
        if (!free.TryDequeue(out var key))
        {
            key = ByteString.CopyFrom($"{KeyPrefix}{request.EscapedName}/{_instance}/{Interlocked.Increment(ref _acquisitions)}", Encoding.UTF8);
        }

        var put = new PutRequest { Key = key, Lease = lease };
        if (_shape == "put")
        {
            var response = await _session.CallAsync(() => _session.Kv.PutAsync(put, cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
            return new EtcdPutDeleteAcquisition(_session, key, response.Header.Revision, compareOnDelete: false, free.Enqueue);
        }

        // Unique keys: the name's range holds only this acquisition's key, so the transaction always succeeds.
        var name = ByteString.CopyFrom($"{KeyPrefix}{request.EscapedName}/", Encoding.UTF8);
        var end = name.ToByteArray();
        end[^1]++;
        var newest = new RangeRequest
        {
            Key = name,
            RangeEnd = ByteString.CopyFrom(end),
            Limit = 2,
            KeysOnly = true,
            SortTarget = RangeRequest.Types.SortTarget.Create,
            SortOrder = RangeRequest.Types.SortOrder.Descend,
        };
        if (_shape == "put-watch")
        {
            // A lock that decides with a bare put and a mirror of the name kept by a watch: the put's own event
            // comes after every earlier change under the name, so the mirror is complete up to it.
            var watch = _prefixWatch.Value;
            await watch.WatchAsync(name, ByteString.CopyFrom(end)).WaitAsync(cancellationToken).ConfigureAwait(false);
            var seen = watch.ExpectPutAsync(key);
            var response = await _session.CallAsync(() => _session.Kv.PutAsync(put, cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
            await seen.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new EtcdPutDeleteAcquisition(_session, key, response.Header.Revision, compareOnDelete: false, free.Enqueue);
        }

        if (_shape == "put-range")
        {
            // A lock that puts its key unconditionally and then reads who is ahead: the read is served by the member
            // itself (serializable), which has applied the put it has just answered.
            var response = await _session.CallAsync(() => _session.Kv.PutAsync(put, cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
            newest.Serializable = true;
            await _session.CallAsync(() => _session.Kv.RangeAsync(newest, cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
            return new EtcdPutDeleteAcquisition(_session, key, response.Header.Revision, compareOnDelete: false, free.Enqueue);
        }

        var txn = _shape switch
        {
            "txn" => new TxnRequest
            {
                Compare = { new Compare { Key = name, RangeEnd = ByteString.CopyFrom(end), Target = Compare.Types.CompareTarget.Create, CreateRevision = 0 } },
                Success = { new RequestOp { RequestPut = put } },
            },
            "txn-put" => new TxnRequest { Success = { new RequestOp { RequestPut = put } } },
            _ => new TxnRequest
            {
                Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, CreateRevision = 0 } },
                Success = { new RequestOp { RequestPut = put }, new RequestOp { RequestRange = newest } },
            },
        };
        var reply = await _session.CallAsync(() => _session.Kv.TxnAsync(txn, cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return new EtcdPutDeleteAcquisition(_session, key, reply.Header.Revision, compareOnDelete: _shape == "txn-read", free.Enqueue);
    }

    public override ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        throw PeerAddress.NoStatus(PeerSchemes.EtcdPutDelete);

    public override IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        throw PeerAddress.NoStatus(PeerSchemes.EtcdPutDelete);

    public override async ValueTask DisposeAsync()
    {
        if (_prefixWatch.IsValueCreated)
        {
            await _prefixWatch.Value.DisposeAsync().ConfigureAwait(false);
        }

        await _session.DisposeAsync().ConfigureAwait(false);
    }
}
