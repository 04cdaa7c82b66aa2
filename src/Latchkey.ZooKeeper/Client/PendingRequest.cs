namespace Latchkey.ZooKeeper.Client;

/// <summary>A request sent and waiting for its reply. Replies come in the order requests were sent.</summary>
internal abstract class PendingRequest
{
    /// <summary>The xid it was sent with.</summary>
    public int Xid { get; set; }

    /// <summary>When it was handed to the socket (a <see cref="TimeProvider"/> timestamp).</summary>
    public long SentAt { get; set; }

    /// <summary>
    /// Takes the reply body, on the read loop. Throws <see cref="ZooKeeperException"/> if the body is
    /// malformed (the connection then fails); an error code becomes the request's exception instead.
    /// </summary>
    public abstract void Complete(int error, ref JuteReader reader);

    public abstract void Fail(Exception exception);
}
