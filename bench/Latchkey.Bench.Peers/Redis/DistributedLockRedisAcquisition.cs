using Latchkey.Backend;
using Medallion.Threading.Redis;

namespace Latchkey.Bench.Peers.Redis;

internal sealed class DistributedLockRedisAcquisition(RedisDistributedLockHandle handle) : LockAcquisition
{
    // DistributedLock has no fencing tokens.
    public override long FencingToken => 0;

    // Read lazily: asking DistributedLock for it starts a monitor that polls the key, which would cost the
    // peer round trips the bench does not ask for.
    public override CancellationToken Lost => handle.HandleLostToken;

    public override ValueTask ReleaseAsync() => handle.DisposeAsync();
}
