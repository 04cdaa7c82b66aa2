using StackExchange.Redis;

namespace Latchkey.Bench.Peers.Redis;

/// <summary>One StackExchange.Redis multiplexer per peer provider, opened on first use.</summary>
internal sealed class PeerRedisConnection : IAsyncDisposable
{
    private readonly LockEndpoint _endpoint;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ConnectionMultiplexer? _multiplexer;

    public PeerRedisConnection(LockEndpoint endpoint)
    {
        _endpoint = endpoint;
    }

    public async ValueTask<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
    {
        var multiplexer = Volatile.Read(ref _multiplexer);
        if (multiplexer is not null)
        {
            return multiplexer.GetDatabase();
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_multiplexer is null)
            {
                var options = new ConfigurationOptions { AbortOnConnectFail = true, ConnectTimeout = 5000 };
                options.EndPoints.Add(_endpoint.Host, _endpoint.PortOr(6379));
                try
                {
                    Volatile.Write(ref _multiplexer, await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false));
                }
                catch (RedisConnectionException ex)
                {
                    throw new LockBackendUnavailableException($"Redis at {_endpoint} cannot be reached: {ex.Message}", ex);
                }
            }

            return _multiplexer!.GetDatabase();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is { } multiplexer)
        {
            await multiplexer.CloseAsync().ConfigureAwait(false);
            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}
