using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Bench.Peers.Etcd;

/// <summary>
/// For the Put+Delete peer's <c>put-watch</c> shape: one watch stream per peer provider, one watch per name on every
/// key under it, kept for the provider's life, and a way to wait for the event of one's own put. It prices what a
/// lock would pay to decide with a bare put and a mirror of the name kept by a watch (etcd sends every put and
/// delete under the name to each provider watching it) instead of a transaction.
/// </summary>
internal sealed class PeerPrefixWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse> _call;
    private readonly ConcurrentDictionary<ByteString, Task> _watched = new();
    private readonly ConcurrentDictionary<ByteString, TaskCompletionSource<long>> _expected = new();
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private readonly Task _reader;
    private TaskCompletionSource? _created;

    public PeerPrefixWatch(PeerEtcdSession session)
    {
        _call = new Watch.WatchClient(session.Channel).Watch(cancellationToken: _stop.Token);
        _reader = ReadAsync();
    }

    /// <summary>Watches every key from <paramref name="prefix"/> up to <paramref name="end"/>, once per name.</summary>
    public Task WatchAsync(ByteString prefix, ByteString end) => _watched.GetOrAdd(prefix, _ => CreateAsync(prefix, end));

    /// <summary>The revision of the next put of <paramref name="key"/> that the watch reports; ask before putting.</summary>
    public Task<long> ExpectPutAsync(ByteString key)
    {
        var expected = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _expected[key] = expected;
        return expected.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
#pragma warning disable VSTHRD003 // The reader was started by this object and ends once _stop fires.
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
#pragma warning restore VSTHRD003
        _call.Dispose();
        _createGate.Dispose();
        _stop.Dispose();
    }

    private async Task CreateAsync(ByteString prefix, ByteString end)
    {
        // Creations are answered in the order they are sent on a stream: one at a time, so each answer is known.
        await _createGate.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _created, created);
            await _call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = prefix, RangeEnd = end } }, _stop.Token).ConfigureAwait(false);
            await created.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _createGate.Release();
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false))
            {
                var response = _call.ResponseStream.Current;
                if (response.Created)
                {
                    Volatile.Read(ref _created)?.TrySetResult();
                }

                foreach (var change in response.Events)
                {
                    if (change.Type == Event.Types.EventType.Put && _expected.TryRemove(change.Kv.Key, out var expected))
                    {
                        expected.TrySetResult(change.Kv.ModRevision);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            foreach (var expected in _expected.Values)
            {
                expected.TrySetException(new LockBackendUnavailableException("The etcd peer's watch stream ended.", ex));
            }
        }
    }
}
