using Grpc.Core;
using Grpc.Net.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Bench.Peers.Etcd;

/// <summary>
/// One gRPC channel to one etcd member and one lease, granted on first use and kept alive on one
/// keep-alive stream every TTL/3 (one loop per provider). If the lease cannot be renewed, <see cref="Lost"/>
/// fires; a peer in a bench has no reason to recover, so later acquires fail.
/// </summary>
internal sealed class PeerEtcdSession : IAsyncDisposable
{
    private readonly LockEndpoint _endpoint;
    private readonly TimeSpan _ttl;
    private readonly GrpcChannel _channel;
    private readonly SemaphoreSlim _grantGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private long _leaseId;
    private Task? _keepAlive;

    public PeerEtcdSession(LockEndpoint endpoint, TimeSpan ttl)
    {
        _endpoint = endpoint;
        _ttl = ttl;
        _channel = GrpcChannel.ForAddress(new UriBuilder("http", endpoint.Host, endpoint.PortOr(2379)).Uri);
        Kv = new KV.KVClient(_channel);
    }

    public KV.KVClient Kv { get; }

    public CallInvoker CallInvoker => _channel.CreateCallInvoker();

    public GrpcChannel Channel => _channel;

    public CancellationToken Lost => _lost.Token;

    public string Describe => _endpoint.ToString();

    /// <summary>The provider's lease, granting it on first use.</summary>
    public async ValueTask<long> GetLeaseAsync(CancellationToken cancellationToken)
    {
        var id = Interlocked.Read(ref _leaseId);
        if (id != 0)
        {
            return _lost.IsCancellationRequested ? throw new LockBackendUnavailableException($"The etcd peer's lease {id:x} at {Describe} was lost.") : id;
        }

        await _grantGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_leaseId == 0)
            {
                var ttlSeconds = Math.Max(1, (long)_ttl.TotalSeconds);
                var response = await CallAsync(() => new Lease.LeaseClient(_channel).LeaseGrantAsync(new LeaseGrantRequest { TTL = ttlSeconds }, cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
                if (!string.IsNullOrEmpty(response.Error))
                {
                    throw new LockBackendUnavailableException($"etcd at {Describe} refused a {ttlSeconds}s lease: {response.Error}");
                }

                Interlocked.Exchange(ref _leaseId, response.ID);
                _keepAlive = KeepAliveAsync(response.ID);
            }

            return _leaseId;
        }
        finally
        {
            _grantGate.Release();
        }
    }

    /// <summary>
    /// Runs one unary call, turning an unreachable server into <see cref="LockBackendUnavailableException"/> and a
    /// call cancelled by <paramref name="cancellationToken"/> into <see cref="OperationCanceledException"/>, as the SPI asks.
    /// </summary>
    public async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"A request to etcd at {Describe} was cancelled.", ex, cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
        {
            throw new LockBackendUnavailableException($"etcd at {Describe} failed a request: {ex.Status.Detail}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_keepAlive is not null)
        {
#pragma warning disable VSTHRD003 // The keep-alive loop was started by this object and ends once _stop fires.
            await _keepAlive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
#pragma warning restore VSTHRD003
        }

        var id = Interlocked.Read(ref _leaseId);
        if (id != 0 && !_lost.IsCancellationRequested)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await new Lease.LeaseClient(_channel).LeaseRevokeAsync(new LeaseRevokeRequest { ID = id }, cancellationToken: timeout.Token).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                // The lease expires by itself.
            }
        }

        _channel.Dispose();
        _grantGate.Dispose();
        _stop.Dispose();
        _lost.Dispose();
    }

    private async Task KeepAliveAsync(long id)
    {
        var interval = _ttl / 3;
        try
        {
            using var call = new Lease.LeaseClient(_channel).LeaseKeepAlive(cancellationToken: _stop.Token);
            while (true)
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
                await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id }, _stop.Token).ConfigureAwait(false);
                if (!await call.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false) || call.ResponseStream.Current.TTL <= 0)
                {
                    await _lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (RpcException) when (_stop.IsCancellationRequested)
        {
        }
        catch (RpcException)
        {
            await _lost.CancelAsync().ConfigureAwait(false);
        }
    }
}
