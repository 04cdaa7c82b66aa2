using Google.Protobuf;
using Latchkey.Backend;
using V3Lock = Latchkey.Etcd.Protocol.V3Lock;

namespace Latchkey.Bench.Peers.Etcd;

internal sealed class EtcdV3LockAcquisition(PeerEtcdSession session, V3Lock.Lock.LockClient locks, ByteString key, long token, SemaphoreSlim localGate) : LockAcquisition
{
    public override long FencingToken => token;

    public override CancellationToken Lost => session.Lost;

    public override async ValueTask ReleaseAsync()
    {
        try
        {
            await session.CallAsync(() => locks.UnlockAsync(new V3Lock.UnlockRequest { Key = key }).ResponseAsync, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            localGate.Release();
        }
    }
}
