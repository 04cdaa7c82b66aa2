using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd.Client;

/// <summary>
/// One watch on the provider's shared watch stream. Its handler runs on the stream's reader and must not
/// block: it sets a signal or schedules work. A watch survives a reconnect: it is created again on the new
/// stream from the revision after the last one it saw, so no event is lost.
/// </summary>
internal sealed class EtcdWatch
{
    private readonly TaskCompletionSource<long>? _created;
    private Action<long>? _onCreated;
    private long _nextRevision;

    public EtcdWatch(long id, ByteString key, ByteString rangeEnd, long startRevision, bool deletesOnly, Action<EtcdWatch, RepeatedField<Event>?> handler, bool awaitable, Action<long>? onCreated)
    {
        _onCreated = onCreated;
        _created = awaitable ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        Id = id;
        Key = key;
        RangeEnd = rangeEnd;
        DeletesOnly = deletesOnly;
        Handler = handler;
        _nextRevision = startRevision;
    }

    public long Id { get; }

    public ByteString Key { get; }

    public ByteString RangeEnd { get; }

    public bool DeletesOnly { get; }

    /// <summary>Called with the events of a response, or with <see langword="null"/> when the server cancelled the watch (say, compaction).</summary>
    public Action<EtcdWatch, RepeatedField<Event>?> Handler { get; }

    /// <summary>Completes with the store revision at which the server created the watch: every later event will be reported.</summary>
    public Task<long> Created => _created?.Task ?? throw new InvalidOperationException("This watch was created without tracking its creation.");

    public WatchRequest CreateRequest()
    {
        var create = new WatchCreateRequest
        {
            Key = Key,
            RangeEnd = RangeEnd,
            StartRevision = Volatile.Read(ref _nextRevision),
            WatchId = Id,
        };
        if (DeletesOnly)
        {
            create.Filters.Add(WatchCreateRequest.Types.FilterType.Noput);
        }

        return new WatchRequest { CreateRequest = create };
    }

    public void OnCreated(long revision)
    {
        if (Volatile.Read(ref _nextRevision) == 0)
        {
            // Created "now": on a reconnect, resume right after this revision.
            Volatile.Write(ref _nextRevision, revision + 1);
        }

        _created?.TrySetResult(revision);

        // Only the first creation: after a reconnect the watch resumes from where it was, with no gap.
        Interlocked.Exchange(ref _onCreated, null)?.Invoke(revision);
    }

    public void OnEvents(RepeatedField<Event> events)
    {
        if (events.Count > 0)
        {
            Volatile.Write(ref _nextRevision, events[^1].Kv.ModRevision + 1);
        }

        Handler(this, events);
    }

    public void OnCanceled(string reason)
    {
        _created?.TrySetException(new LockBackendUnavailableException($"etcd cancelled a watch: {reason}"));
        Handler(this, null);
    }

    public void Abandon() => _created?.TrySetCanceled();
}
