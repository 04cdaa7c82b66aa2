namespace Latchkey.ZooKeeper.Client;

/// <summary>The header of every reply and notification: <c>xid</c>, the zxid the server had reached, and the error code.</summary>
internal readonly record struct ReplyHeader(int Xid, long Zxid, int Error)
{
    public static ReplyHeader Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadLong(), reader.ReadInt());
}
