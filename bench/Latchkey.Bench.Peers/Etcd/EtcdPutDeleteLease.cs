using Google.Protobuf;
using Latchkey.Backend;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Bench.Peers.Etcd;

internal sealed class EtcdPutDeleteLease(PeerEtcdSession session, ByteString key, long revision) : LockLease
{
    // The Put's revision: it increases, but nothing here excludes anyone.
    public override long FencingToken => revision;

    public override CancellationToken Lost => session.Lost;

    public override async ValueTask ReleaseAsync() =>
        await session.CallAsync(() => session.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = key }).ResponseAsync, CancellationToken.None).ConfigureAwait(false);
}
