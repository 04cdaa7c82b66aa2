using Google.Protobuf;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>The etcd requests of the lock algorithm, built in one place.</summary>
internal static class EtcdRequests
{
    /// <summary>
    /// Deletes our key. A plain delete, not a transaction comparing its create revision: a key serves a later
    /// acquisition only once its deletion was answered and no request was left in doubt (<see cref="EtcdKeyNumbers"/>),
    /// so a retried or late delete can only ever remove the key it was meant for, never a newer holder's; and etcd
    /// applies a plain delete faster than the compare-and-delete transaction.
    /// </summary>
    public static DeleteRangeRequest DeleteOurs(ByteString key) => new() { Key = key };

    /// <summary>How many of a name's newest keys an exclusive entry reads with its put: ours, our predecessor and the key ahead of it.</summary>
    public const int NewestToReadOnEntry = 3;

    /// <summary>
    /// An exclusive acquisition's entry into the queue, as two operations of a transaction: put our key with our
    /// lease, reporting the key it replaced (a retry of an entry whose reply was lost finds its own key, and keeps
    /// its create revision), then read the newest keys under the name. The lone entry sends them when the name is
    /// taken; a batch sends them for each of its entries.
    /// </summary>
    public static RequestOp[] Entry(ByteString key, ByteString value, long lease, ByteString blockers) =>
    [
        new RequestOp { RequestPut = new PutRequest { Key = key, Value = value, Lease = lease, PrevKv = true } },
        new RequestOp { RequestRange = NewestFirst(blockers, NewestToReadOnEntry) },
    ];

    /// <summary>Writes <paramref name="value"/> to our key with our lease, only if the key is still the one we created.</summary>
    public static TxnRequest PutIfOurs(ByteString key, long createRevision, ByteString value, long lease) => new()
    {
        Compare = { CreateRevisionIs(key, createRevision) },
        Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = value, Lease = lease } } },
    };

    /// <summary>True when no key starts with <paramref name="prefix"/> (etcd compares an empty range as 0).</summary>
    public static Compare NoKeyIn(ByteString prefix) => new()
    {
        Key = prefix,
        RangeEnd = EtcdKeyspace.RangeEnd(prefix),
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Equal,
        CreateRevision = 0,
    };

    public static Compare CreateRevisionIs(ByteString key, long createRevision) => new()
    {
        Key = key,
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Equal,
        CreateRevision = createRevision,
    };

    /// <summary>The newest keys of [prefix, end), newest first, at most <paramref name="limit"/>, created before <paramref name="before"/> if given.</summary>
    public static RangeRequest NewestFirst(ByteString prefix, int limit, long before = 0) => new()
    {
        Key = prefix,
        RangeEnd = EtcdKeyspace.RangeEnd(prefix),
        SortTarget = RangeRequest.Types.SortTarget.Create,
        SortOrder = RangeRequest.Types.SortOrder.Descend,
        Limit = limit,
        MaxCreateRevision = before > 0 ? before - 1 : 0,
        KeysOnly = true,
    };
}
