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

    /// <summary>
    /// A multi: each operation as a <c>MultiHeader</c> (type, done = false, err = -1) and its request, closed by
    /// a header with type -1, done = true, err = -1.
    /// </summary>
    public static void WriteMulti(JuteWriter w, IReadOnlyList<(ZooKeeperOperation Op, string ServerPath)> ops, IReadOnlyList<ZooKeeperAcl> defaultAcl)
    {
        foreach (var (op, path) in ops)
        {
            w.WriteInt(op.OpCode);
            w.WriteBool(false);
            w.WriteInt(-1);
            switch (op.OpCode)
            {
                case OpCode.Create2 or OpCode.CreateContainer:
                    WriteCreate(w, path, op.Data.Span, op.Acl ?? defaultAcl, op.Mode);
                    break;
                case OpCode.Delete or OpCode.Check:
                    WritePathVersion(w, path, op.Version);
                    break;
                case OpCode.SetData:
                    WriteSetData(w, path, op.Data.Span, op.Version);
                    break;
                default:
                    throw new ArgumentException($"Operation type {op.OpCode} cannot be part of a multi.", nameof(ops));
            }
        }

        w.WriteInt(-1);
        w.WriteBool(true);
        w.WriteInt(-1);
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

    /// <summary>Reads the multi reply: a <c>MultiHeader</c> and a result per operation until a header with done = true.</summary>
    public static List<ZooKeeperOperationResult> ReadMulti(ref JuteReader r, Func<string, string> toClientPath)
    {
        var results = new List<ZooKeeperOperationResult>();
        while (true)
        {
            var type = r.ReadInt();
            var done = r.ReadBool();
            var err = r.ReadInt();
            if (done)
            {
                return results;
            }

            switch (type)
            {
                case OpCode.Create:
                    results.Add(new ZooKeeperOperationResult(ZooKeeperErrorCode.Ok, toClientPath(ReadPath(ref r))));
                    break;
                case OpCode.Create2 or OpCode.CreateContainer:
                    var path = toClientPath(ReadPath(ref r));
                    results.Add(new ZooKeeperOperationResult(ZooKeeperErrorCode.Ok, path, r.ReadStat()));
                    break;
                case OpCode.SetData:
                    results.Add(new ZooKeeperOperationResult(ZooKeeperErrorCode.Ok, Stat: r.ReadStat()));
                    break;
                case OpCode.Delete or OpCode.Check:
                    results.Add(new ZooKeeperOperationResult(ZooKeeperErrorCode.Ok));
                    break;
                case OpCode.Error:
                    // An ErrorResponse repeats the code of its header.
                    results.Add(new ZooKeeperOperationResult((ZooKeeperErrorCode)r.ReadInt()));
                    break;
                default:
                    throw new ZooKeeperProtocolException($"Unknown operation type {type} (err {err}) in a multi reply.");
            }
        }
    }

    public static string ReadPath(ref JuteReader r) =>
        r.ReadString() ?? throw new ZooKeeperProtocolException("Null path in a reply.");

    public static (WatchedEventType Type, int State, string Path) ReadWatcherEvent(ref JuteReader r)
    {
        var type = r.ReadInt();
        var state = r.ReadInt();
        var path = ReadPath(ref r);
        return ((WatchedEventType)type, state, path);
    }
}
