namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// The first frame of a connection (no request header): <c>ConnectRequest</c> of zookeeper.jute followed by
/// the <c>readOnly</c> flag that servers since 3.4 read after it.
/// </summary>
internal readonly record struct ConnectRequest(int ProtocolVersion, long LastZxidSeen, int TimeoutMs, long SessionId, byte[] Password, bool ReadOnly)
{
    public void WriteFrame(JuteWriter writer)
    {
        var frame = writer.BeginFrame();
        writer.WriteInt(ProtocolVersion);
        writer.WriteLong(LastZxidSeen);
        writer.WriteInt(TimeoutMs);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Password);
        writer.WriteBool(ReadOnly);
        writer.EndFrame(frame);
    }
}
