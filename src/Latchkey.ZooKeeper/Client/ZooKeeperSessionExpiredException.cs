namespace Latchkey.ZooKeeper.Client;

/// <summary>The session is over (<see cref="ZooKeeperErrorCode.SessionExpired"/>): expired on the server, or unconfirmed for longer than it could live, or the client was closed.</summary>
public sealed class ZooKeeperSessionExpiredException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperSessionExpiredException()
        : this("The ZooKeeper session is over.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperSessionExpiredException(string message)
        : base(ZooKeeperErrorCode.SessionExpired, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperSessionExpiredException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.SessionExpired, message, path: null, innerException)
    {
    }

    internal ZooKeeperSessionExpiredException(string message, string? path)
        : base(ZooKeeperErrorCode.SessionExpired, message, path)
    {
    }
}
