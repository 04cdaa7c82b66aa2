using Latchkey.Backend;
using StackExchange.Redis;

namespace Latchkey.Bench.Peers.Redis;

internal sealed class RedisRawAcquisition(IDatabase database, RedisKey key, long token) : LockAcquisition
{
    // A per-provider count, not a fencing token: nothing here excludes anyone.
    public override long FencingToken => token;

    public override CancellationToken Lost => CancellationToken.None;

    public override async ValueTask ReleaseAsync() => await database.KeyDeleteAsync(key).ConfigureAwait(false);
}
