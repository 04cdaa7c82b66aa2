using Google.Protobuf;
using Latchkey.Backend;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Bench.Peers.Etcd;

/// <summary>One Put's key; its release deletes it and, once that is answered, hands it to <paramref name="deleted"/> for reuse.</summary>
internal sealed class EtcdPutDeleteAcquisition(PeerEtcdSession session, ByteString key, long revision, bool compareOnDelete, Action<ByteString> deleted) : LockAcquisition
{
    // The Put's revision: it increases, but nothing here excludes anyone.
    public override long FencingToken => revision;

    public override CancellationToken Lost => session.Lost;

    public override async ValueTask ReleaseAsync()
    {
        var delete = new DeleteRangeRequest { Key = key };
        if (!compareOnDelete)
        {
            await session.CallAsync(() => session.Kv.DeleteRangeAsync(delete).ResponseAsync, CancellationToken.None).ConfigureAwait(false);
            deleted(key);
            return;
        }

        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, CreateRevision = revision } },
            Success = { new RequestOp { RequestDeleteRange = delete } },
        };
        await session.CallAsync(() => session.Kv.TxnAsync(txn).ResponseAsync, CancellationToken.None).ConfigureAwait(false);
        deleted(key);
    }
}
