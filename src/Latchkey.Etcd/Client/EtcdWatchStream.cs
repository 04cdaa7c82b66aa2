using System.Threading.Channels;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Latchkey.Etcd.Protocol;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd.Client;

/// <summary>
/// The provider's one watch stream, multiplexing every watch of every lock. Watches carry client-chosen
/// ids (etcd 3.4+), so a create and its confirmation are matched without relying on order. If the stream
/// breaks, it is opened again (on the next member if this one is unavailable) and every live watch is
/// created again from the revision after the last one it saw.
/// </summary>
internal sealed class EtcdWatchStream : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, EtcdWatch> _watches = [];
    private readonly CancellationTokenSource _stop = new();
    private Channel<WatchRequest>? _outbox;
    private Task? _loop;
    private long _nextId;
    private bool _disposed;

    public EtcdWatchStream(EtcdClient client, TimeProvider time, ILogger logger)
    {
        _client = client;
        _time = time;
        _logger = logger;
    }

    /// <summary>Watches [key, rangeEnd) from <paramref name="startRevision"/> (0: from now, a synced watch).</summary>
    /// <remarks>With <paramref name="awaitable"/> false, <see cref="EtcdWatch.Created"/> is not tracked (a held key's watch: nobody waits for it).</remarks>
    public EtcdWatch Watch(ByteString key, ByteString rangeEnd, long startRevision, bool deletesOnly, Action<EtcdWatch, RepeatedField<Event>?> handler, bool awaitable = true, Action<long>? onCreated = null)
    {
        var watch = new EtcdWatch(Interlocked.Increment(ref _nextId), key, rangeEnd, startRevision, deletesOnly, handler, awaitable, onCreated);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watches.Add(watch.Id, watch);
            _outbox?.Writer.TryWrite(watch.CreateRequest());
            _loop ??= Task.Run(RunAsync, CancellationToken.None);
        }

        return watch;
    }

    public void Cancel(EtcdWatch? watch)
    {
        if (watch is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_watches.Remove(watch.Id))
            {
                _outbox?.Writer.TryWrite(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = watch.Id } });
            }
        }

        watch.Abandon();
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            loop = _loop;
        }

        await _stop.CancelAsync().ConfigureAwait(false);

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!_stop.IsCancellationRequested)
        {
            var outbox = Channel.CreateUnbounded<WatchRequest>(new UnboundedChannelOptions { SingleReader = true });
            var endpoint = -1;
            try
            {
                var (call, index) = await _client.OpenStreamAsync<WatchRequest, WatchResponse>((e, o) => e.Watch.Watch(o), _stop.Token).ConfigureAwait(false);
                endpoint = index;
                using (call)
                {
                    lock (_gate)
                    {
                        _outbox = outbox;
                        // In creation order, so a watch created before another on the old stream is again
                        // created no later than it (a waiter relies on its own key's watch starting first).
                        foreach (var watch in _watches.Values.OrderBy(w => w.Id))
                        {
                            outbox.Writer.TryWrite(watch.CreateRequest());
                        }
                    }

                    using var streamStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    var writer = WriteAsync(call.RequestStream, outbox.Reader, streamStop.Token);
                    try
                    {
                        await ReadAsync(call.ResponseStream, () => backoff = TimeSpan.FromMilliseconds(50), _stop.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        await streamStop.CancelAsync().ConfigureAwait(false);
                        await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or LockBackendUnavailableException or OperationCanceledException)
            {
                _logger.LogWarning(ex, "etcd watch stream broke; reconnecting");
                if (endpoint >= 0)
                {
                    _client.ReportStreamFailure(endpoint, ex);
                }
            }
            finally
            {
                lock (_gate)
                {
                    if (_outbox == outbox)
                    {
                        _outbox = null;
                    }
                }
            }

            try
            {
                await Task.Delay(backoff, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    private static async Task WriteAsync(IClientStreamWriter<WatchRequest> stream, ChannelReader<WatchRequest> outbox, CancellationToken cancellationToken)
    {
        await foreach (var request in outbox.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadAsync(IAsyncStreamReader<WatchResponse> stream, Action onHealthy, CancellationToken cancellationToken)
    {
        while (await stream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var response = stream.Current;
            EtcdWatch? watch;
            lock (_gate)
            {
                _watches.TryGetValue(response.WatchId, out watch);
                if (watch is not null && response.Canceled)
                {
                    _watches.Remove(response.WatchId);
                }
            }

            if (watch is null)
            {
                continue; // cancelled by us, or a stale reply
            }

            if (response.Canceled)
            {
                var reason = response.CompactRevision > 0
                    ? $"revision {response.CompactRevision} was compacted"
                    : response.CancelReason;
                watch.OnCanceled(reason);
                continue;
            }

            if (response.Created)
            {
                onHealthy();
                watch.OnCreated(response.Header.Revision);
            }

            if (response.Events.Count > 0)
            {
                watch.OnEvents(response.Events);
            }
        }
    }
}
