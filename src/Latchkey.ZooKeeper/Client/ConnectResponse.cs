namespace Latchkey.ZooKeeper.Client;

/// <summary>The server's answer to <see cref="ConnectRequest"/>. A timeout of zero or less means the session is expired.</summary>
internal readonly record struct ConnectResponse(int ProtocolVersion, int TimeoutMs, long SessionId, byte[] Password, bool ReadOnly)
{
    public static ConnectResponse Read(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame);
        var protocolVersion = reader.ReadInt();
        var timeout = reader.ReadInt();
        var sessionId = reader.ReadLong();
        var password = reader.ReadBuffer() ?? [];

        // Servers before 3.4 stop here; later ones add the read-only flag.
        var readOnly = reader.Remaining > 0 && reader.ReadBool();
        return new ConnectResponse(protocolVersion, timeout, sessionId, password, readOnly);
    }
}
