using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// The watch on one of our keys' deletions, heard by one acquisition at a time: the acquisition that uses the key
/// now. With <see cref="EtcdKeptWatches"/>, it outlives that acquisition and serves the next one of the key.
/// </summary>
/// <remarks>
/// A key is reused only once its previous deletion was answered, so each generation's create revision is above
/// every earlier generation's deletion: the listener hears only deletions after its own key's creation.
/// </remarks>
internal sealed class EtcdKeyWatch
{
    private readonly EtcdWatchStream _stream;
    private readonly EtcdWatch _watch;
    private IOwnKeyListener? _listener;
    private long _coversFrom; // every deletion at this revision or later is reported; 0 until known
    private int _dropped;

    /// <summary>Watches <paramref name="key"/> from <paramref name="startRevision"/> (0: from now; see <see cref="EtcdWatchStream.Watch"/>).</summary>
    public EtcdKeyWatch(EtcdWatchStream stream, ByteString key, long startRevision, Action<long>? onCreated)
    {
        _stream = stream;
        _coversFrom = startRevision;
        _watch = stream.Watch(key, ByteString.Empty, startRevision, deletesOnly: true, OnEvents, awaitable: false, onCreated: createdAt =>
        {
            Interlocked.CompareExchange(ref _coversFrom, createdAt + 1, 0);
            onCreated?.Invoke(createdAt);
        });
    }

    /// <summary>
    /// Whether this watch may serve an acquisition whose key was created at <paramref name="createRevision"/>: it
    /// reports every deletion after that, and etcd has not dropped it.
    /// </summary>
    public bool Covers(long createRevision)
    {
        var from = Volatile.Read(ref _coversFrom);
        return from > 0 && from <= createRevision + 1 && Volatile.Read(ref _dropped) == 0;
    }

    /// <summary>Makes <paramref name="listener"/> the one that hears this key's deletions; false if another still listens.</summary>
    public bool Listen(IOwnKeyListener listener) => Interlocked.CompareExchange(ref _listener, listener, null) is null;

    /// <summary><paramref name="listener"/> stops listening (before it deletes the key itself).</summary>
    public void StopListening(IOwnKeyListener listener) => Interlocked.CompareExchange(ref _listener, null, listener);

    /// <summary>Cancels the watch on etcd.</summary>
    public void Cancel()
    {
        Volatile.Write(ref _dropped, 1);
        _stream.Cancel(_watch);
    }

    private void OnEvents(EtcdWatch watch, RepeatedField<Event>? events)
    {
        var listener = Volatile.Read(ref _listener);
        if (events is null)
        {
            // The server dropped the watch (its start revision was compacted): the listener checks its key itself.
            Volatile.Write(ref _dropped, 1);
            listener?.OnOwnWatchDropped();
            return;
        }

        if (listener is null)
        {
            return; // the released key's own delete
        }

        foreach (var e in events)
        {
            if (e.Type == Event.Types.EventType.Delete && e.Kv.ModRevision > listener.CreateRevision)
            {
                listener.OnOwnKeyDeleted();
            }
        }
    }
}

/// <summary>Who hears the deletions of a key that <see cref="EtcdKeyWatch"/> watches: the acquisition that uses the key now.</summary>
internal interface IOwnKeyListener
{
    /// <summary>The key's create revision: deletions at or before it were of an earlier use of the key.</summary>
    long CreateRevision { get; }

    /// <summary>Someone else deleted the key.</summary>
    void OnOwnKeyDeleted();

    /// <summary>etcd dropped the watch (its start revision was compacted): look at the key itself.</summary>
    void OnOwnWatchDropped();
}
