using System.Runtime.CompilerServices;
using Latchkey.Backend;
using Medallion.Threading.Redis;

namespace Latchkey.Bench.Peers.Redis;

/// <summary>
/// madelson's DistributedLock.Redis <c>RedisDistributedLock</c> as the bench sees it: its own acquire
/// (<c>SET NX PX</c>), its own waiting (it polls at random 10–800 ms by default; no notification), its own
/// release. Its locks have no fencing token, so every lease reports 0.
/// </summary>
internal sealed class DistributedLockRedisBackend : LockBackend
{
    private const string KeyPrefix = "latchkey-peer/distributedlock/";
    private readonly PeerRedisConnection _connection;

    public DistributedLockRedisBackend(LockEndpoint endpoint)
    {
        _connection = new PeerRedisConnection(endpoint);
    }

    public override LockProviderCapabilities Capabilities { get; } = PeerAddress.Capabilities(PeerSchemes.DistributedLockRedis, leases: true);

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken) =>
        await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);

    public override async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        PeerAddress.RequireExclusiveLock(request, PeerSchemes.DistributedLockRedis);
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var ttl = request.Options.Ttl;
        var distributedLock = new RedisDistributedLock(KeyPrefix + request.EscapedName, database, o => o.Expiry(ttl));
        var handle = request.Wait
            ? await distributedLock.AcquireAsync(timeout: null, cancellationToken).ConfigureAwait(false)
            : await distributedLock.TryAcquireAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return handle is null ? null : new DistributedLockRedisAcquisition(handle);
    }

    public override ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        throw PeerAddress.NoStatus(PeerSchemes.DistributedLockRedis);

    public override IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        throw PeerAddress.NoStatus(PeerSchemes.DistributedLockRedis);

    public override ValueTask DisposeAsync() => _connection.DisposeAsync();
}
