namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// Request frames and reply bodies of the operations the client speaks, as zookeeper.jute defines them.
/// A request frame is the 4-byte length, a <c>RequestHeader</c> (<c>xid</c>, <c>type</c>) and the request
/// record; its xid is patched in at <see cref="XidOffset"/> when it is sent, so xids follow the wire order.
/// Paths here are server paths (the chroot already applied).
/// </summary>
internal static class ZooKeeperCodec
{
    /// <summary>Where the xid sits in a request frame.</summary>
    public const int XidOffset = 4;

    public static void WriteHeader(JuteWriter w, int xid, int opCode)
    {
        w.WriteInt(xid);
        w.WriteInt(opCode);
    }

    public static void WriteCreate(JuteWriter w, string path, ReadOnlySpan<byte> data, IReadOnlyList<ZooKeeperAcl> acl, CreateMode mode)
    {
        w.WriteString(path);
        w.WriteBuffer(data);
        w.WriteInt(acl.Count);
        foreach (var entry in acl)
        {
            w.WriteInt(entry.Permissions);
            w.WriteString(entry.Scheme);
            w.WriteString(entry.Id);
        }

        w.WriteInt((int)mode);
    }

    public static void WritePathVersion(JuteWriter w, string path, int version)
    {
        w.WriteString(path);
        w.WriteInt(version);
    }

    public static void WritePathWatch(JuteWriter w, string path, bool watch)
    {
        w.WriteString(path);
        w.WriteBool(watch);
    }

    public static void WriteSetData(JuteWriter w, string path, ReadOnlySpan<byte> data, int version)
    {
        w.WriteString(path);
        w.WriteBuffer(data);
        w.WriteInt(version);
    }

    public static void WriteAuth(JuteWriter w, ZooKeeperAuth auth)
    {
        w.WriteInt(0);
        w.WriteString(auth.Scheme);
        w.WriteBuffer(auth.Credentials);
    }

    public static void WriteSetWatches(JuteWriter w, long relativeZxid, IReadOnlyCollection<string> data, IReadOnlyCollection<string> exist, IReadOnlyCollection<string> child)
    {
        w.WriteLong(relativeZxid);
        w.WriteStringVector(data);
        w.WriteStringVector(exist);
        w.WriteStringVector(child);
    }

    public static string ReadPath(ref JuteReader r) =>
        r.ReadString() ?? throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, "Null path in a reply.");

    public static (WatchedEventType Type, int State, string Path) ReadWatcherEvent(ref JuteReader r)
    {
        var type = r.ReadInt();
        var state = r.ReadInt();
        var path = ReadPath(ref r);
        return ((WatchedEventType)type, state, path);
    }
}
