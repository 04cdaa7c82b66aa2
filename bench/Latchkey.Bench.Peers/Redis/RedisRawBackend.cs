using Latchkey.Backend;
using StackExchange.Redis;

namespace Latchkey.Bench.Peers.Redis;

/// <summary>
/// NOT A LOCK. The floor two round trips put under any Redis lock: "acquire" is one <c>SET key value PX ttl</c> of
/// a key unique to the acquisition (so it never excludes anyone and never waits), "release" one <c>DEL</c>.
/// Measured at the same concurrency, it is the rate of raw write pairs the same server sustains.
/// </summary>
internal sealed class RedisRawBackend : LockBackend
{
    private const string KeyPrefix = "latchkey-peer/raw/";
    private readonly PeerRedisConnection _connection;
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private long _acquisitions;

    public RedisRawBackend(LockEndpoint endpoint)
    {
        _connection = new PeerRedisConnection(endpoint);
    }

    public override LockProviderCapabilities Capabilities { get; } = PeerAddress.Capabilities(PeerSchemes.RedisRaw, leases: true);

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken) =>
        await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);

    public override async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        PeerAddress.RequireExclusiveLock(request, PeerSchemes.RedisRaw);
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var token = Interlocked.Increment(ref _acquisitions);
        RedisKey key = $"{KeyPrefix}{request.EscapedName}/{_instance}/{token}";
        await database.StringSetAsync(key, _instance, request.Options.Ttl).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new RedisRawAcquisition(database, key, token);
    }

    public override ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        throw PeerAddress.NoStatus(PeerSchemes.RedisRaw);

    public override IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        throw PeerAddress.NoStatus(PeerSchemes.RedisRaw);

    public override ValueTask DisposeAsync() => _connection.DisposeAsync();
}
