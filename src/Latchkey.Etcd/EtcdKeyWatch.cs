using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// The watch on one of our keys' deletions, kept while its number serves acquisition after acquisition
/// (<see cref="EtcdKeySlots"/>): one acquisition at a time listens to it, and a busy queue so costs etcd no watch
/// created and cancelled per acquisition, only the event of each release's own delete, which nobody hears.
/// </summary>
/// <remarks>
/// A key is reused only once its previous deletion was answered, so each generation's create revision is above
/// every earlier generation's deletion: the listener hears only deletions after its own key's creation.
/// </remarks>
internal sealed class EtcdKeyWatch
{
    private readonly EtcdWatchStream _stream;
    private readonly EtcdWatch _watch;
    private EtcdLockAcquisition? _listener;
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

    /// <summary>Makes <paramref name="lease"/> the one that hears this key's deletions; false if another still listens.</summary>
    public bool Listen(EtcdLockAcquisition lease) => Interlocked.CompareExchange(ref _listener, lease, null) is null;

    /// <summary><paramref name="lease"/> stops listening (before it deletes the key itself).</summary>
    public void StopListening(EtcdLockAcquisition lease) => Interlocked.CompareExchange(ref _listener, null, lease);

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
                listener.MarkOwnKeyGone();
            }
        }
    }
}
