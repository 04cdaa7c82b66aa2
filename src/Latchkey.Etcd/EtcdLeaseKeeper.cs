using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd;

/// <summary>
/// Grants the provider's one lease when first needed, keeps it alive on one bidirectional keep-alive
/// stream every TTL/3, and grants a fresh one after a loss. Also retries deleting keys whose delete failed
/// (a waiter that gave up while the server was unreachable), so no key is left queued for the lease's life.
/// </summary>
internal sealed class EtcdLeaseKeeper : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly EtcdSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _grantGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ByteString> _orphans = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EtcdLease? _lease;
    private Task? _loop;
    private Task? _orphanSweep; // only the keep-alive loop starts one
    private long _grants;

    public EtcdLeaseKeeper(EtcdClient client, EtcdSettings settings, TimeProvider time, ILogger logger)
    {
        _client = client;
        _settings = settings;
        _time = time;
        _logger = logger;
    }

    /// <summary>Leases granted so far (one per provider, plus one after each loss).</summary>
    public long GrantCount => Interlocked.Read(ref _grants);

    public EtcdLease? Current => Volatile.Read(ref _lease);

    public bool IsDisposed => _stop.IsCancellationRequested;

    /// <summary>The live lease, granting one if there is none.</summary>
    public async ValueTask<EtcdLease> GetAsync(CancellationToken cancellationToken)
    {
        var lease = Volatile.Read(ref _lease);
        if (lease is { IsLost: false })
        {
            return lease;
        }

        await _grantGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lease = _lease;
            if (lease is { IsLost: false })
            {
                return lease;
            }

            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            var sentAt = _time.GetTimestamp();
            var ttlSeconds = (long)_settings.Ttl.TotalSeconds;
            var response = await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttlSeconds }, cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(response.Error))
            {
                throw new LockBackendUnavailableException($"etcd at {_client.Describe} refused a {ttlSeconds}s lease: {response.Error}");
            }

            if (response.TTL != ttlSeconds)
            {
                // etcd raises a TTL below its minimum. Loss detection keeps using the shorter TTL asked for: safe, only earlier.
                _logger.LogWarning("etcd granted lease {Lease} with TTL {Granted}s instead of {Requested}s", response.ID, response.TTL, ttlSeconds);
            }

            Interlocked.Increment(ref _grants);
            lease = new EtcdLease(response.ID, _settings.Ttl, sentAt, _time, _logger);
            lease.LostToken.UnsafeRegister(static s => ((EtcdLeaseKeeper)s!).OnLost(), this);
            Volatile.Write(ref _lease, lease);
            _loop ??= Task.Run(KeepAliveLoopAsync, CancellationToken.None);
            Signal();
            return lease;
        }
        finally
        {
            _grantGate.Release();
        }
    }

    /// <summary>Remembers a key whose delete could not be confirmed; the keep-alive loop retries it.</summary>
    public void AddOrphan(ByteString key)
    {
        _orphans.Enqueue(key);
        Signal();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (Volatile.Read(ref _orphanSweep) is { } sweep)
        {
            await sweep.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var lease = Volatile.Read(ref _lease);
        if (lease is { IsLost: false })
        {
            try
            {
                // Frees every key of the provider at once, instead of after the TTL.
                await _client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.Id }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is LockBackendUnavailableException or LockLostException)
            {
                _logger.LogWarning(ex, "Could not revoke etcd lease {Lease}; its keys go when its TTL ends", lease.IdHex);
            }

            lease.MarkLost("the provider was disposed");
        }

        _grantGate.Dispose();
    }

    private void OnLost()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        var lost = Volatile.Read(ref _lease);
        if (lost is not null && lost.IsLost)
        {
            // Best effort: if the server still has the lease, its keys go now rather than at the end of the TTL.
            _ = RevokeQuietlyAsync(lost.Id);
        }

        Signal();
    }

    private async Task RevokeQuietlyAsync(long id)
    {
        try
        {
            await _client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id }, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LockBackendUnavailableException or LockLostException or OperationCanceledException)
        {
            _logger.LogDebug(ex, "Revoking lost lease {Lease} failed", id);
        }
    }

    private void Signal() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task KeepAliveLoopAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var interval = _settings.Ttl / 3;
        while (!_stop.IsCancellationRequested)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var lease = Volatile.Read(ref _lease);
            if (lease is null || lease.IsLost)
            {
                await changed.WaitAsync(_stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            var endpoint = -1;
            try
            {
                var (call, index) = await _client.OpenStreamAsync<LeaseKeepAliveRequest, LeaseKeepAliveResponse>((e, o) => e.Lease.LeaseKeepAlive(o), _stop.Token).ConfigureAwait(false);
                endpoint = index;
                using (call)
                {
                    using var leaseStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, lease.LostToken);
                    var pending = new ConcurrentQueue<long>();
                    var reader = ReadAsync(call.ResponseStream, lease, pending, leaseStop.Token);
                    while (!leaseStop.IsCancellationRequested)
                    {
                        if (!pending.IsEmpty && _client.EndpointCount > 1)
                        {
                            // The last keep-alive went unanswered for a whole interval on a stream that looks alive: the
                            // member is stalled, or cut off from its leader. Another member may renew the lease before
                            // it could expire; HTTP/2 pings would tell only later (after two intervals at the least).
                            // With one member there is nowhere to go, and a late answer still renews: keep waiting.
                            throw new RpcException(new Status(StatusCode.Unavailable, $"a keep-alive went unanswered for {interval.TotalSeconds:0.###} s"));
                        }

                        pending.Enqueue(_time.GetTimestamp());
                        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease.Id }, leaseStop.Token).ConfigureAwait(false);
                        SweepOrphans(leaseStop.Token);
                        var tick = Task.Delay(interval, _time, leaseStop.Token);
                        var done = await Task.WhenAny(tick, reader).ConfigureAwait(false);
                        if (done == reader)
                        {
                            await reader.ConfigureAwait(false); // throws what broke it
                            if (lease.IsLost)
                            {
                                break; // etcd said the lease is gone; the next turn waits for a fresh one
                            }

                            throw new RpcException(new Status(StatusCode.Unavailable, "the keep-alive stream ended"));
                        }

                        await tick.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        backoff = TimeSpan.FromMilliseconds(100);
                    }

                    await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested || lease.IsLost)
            {
                // Disposed, or the lease was lost: the next turn waits for a fresh one.
            }
            catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or LockBackendUnavailableException or OperationCanceledException)
            {
                _logger.LogWarning(ex, "etcd keep-alive stream for lease {Lease} broke; reconnecting", lease.IdHex);
                if (endpoint >= 0)
                {
                    _client.ReportStreamFailure(endpoint, ex);
                }

                await Task.Delay(backoff, _time, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Math.Max(interval.Ticks / 2, TimeSpan.FromMilliseconds(100).Ticks)));
            }
        }
    }

    private static async Task ReadAsync(IAsyncStreamReader<LeaseKeepAliveResponse> stream, EtcdLease lease, ConcurrentQueue<long> pending, CancellationToken cancellationToken)
    {
        while (await stream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var response = stream.Current;
            if (!pending.TryDequeue(out var sentAt))
            {
                continue;
            }

            if (response.TTL <= 0)
            {
                lease.MarkLost("etcd reports the lease expired or was revoked");
                return;
            }

            lease.Confirm(sentAt);
        }
    }

    /// <summary>
    /// Starts deleting the orphaned keys unless a sweep is running. Never awaited by the keep-alive loop: a delete on a
    /// stalled member waits up to the request timeout, and keep-alives must not wait behind it.
    /// </summary>
    private void SweepOrphans(CancellationToken cancellationToken)
    {
        if (_orphans.IsEmpty || Volatile.Read(ref _orphanSweep) is { IsCompleted: false })
        {
            return;
        }

        Volatile.Write(ref _orphanSweep, DeleteOrphansAsync(cancellationToken));
    }

    private async Task DeleteOrphansAsync(CancellationToken cancellationToken)
    {
        await Task.Yield(); // off the keep-alive loop's flow
        var count = _orphans.Count;
        for (var i = 0; i < count && _orphans.TryDequeue(out var orphan); i++)
        {
            try
            {
                await _client.DeleteAsync(EtcdRequests.DeleteOurs(orphan), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Unreachable, refused or stopped: the key stays queued for the next sweep (or the lease's end).
                _logger.LogDebug(ex, "Deleting orphaned etcd key {Key} failed", orphan.ToStringUtf8());
                _orphans.Enqueue(orphan);
                return;
            }
        }
    }
}
