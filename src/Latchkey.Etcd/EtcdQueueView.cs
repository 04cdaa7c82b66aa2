using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>What one read of the queue saw: its revision, the newest blockers created before our key (newest first), and whether older ones exist.</summary>
internal readonly record struct EtcdQueueView(long Revision, IReadOnlyList<KeyValue> Blockers, bool More)
{
    /// <summary>Nothing before us: we hold, as of <paramref name="revision"/>.</summary>
    public static EtcdQueueView Alone(long revision) => new(revision, [], false);

    /// <summary>Exactly one blocker before us: its deletion alone lets us in.</summary>
    public bool NextInLine => Blockers.Count == 1 && !More;
}

/// <summary>
/// Why a wait ended: the watched key's events, seen at <paramref name="Revision"/> (0 when no event did it),
/// and whether they include the deletion of the watched key.
/// </summary>
internal readonly record struct EtcdWake(long Revision, bool PredecessorDeleted)
{
    public static EtcdWake Of(RepeatedField<Event>? events, ByteString watchedKey)
    {
        if (events is null || events.Count == 0)
        {
            return default;
        }

        var deleted = false;
        var revision = 0L;
        foreach (var e in events)
        {
            revision = Math.Max(revision, e.Kv.ModRevision);
            deleted |= e.Type == Event.Types.EventType.Delete && e.Kv.Key == watchedKey;
        }

        return new EtcdWake(revision, deleted);
    }
}
