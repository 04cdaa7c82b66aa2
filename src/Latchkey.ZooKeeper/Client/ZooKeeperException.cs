namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// An error reply from ZooKeeper, or a failure of the client's connection or session; <see cref="Code"/> says
/// which. Callers filter on it (<c>catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)</c>),
/// as ZooKeeper's own client does with <c>KeeperException.code()</c>. A malformed frame from the server is
/// <see cref="ZooKeeperErrorCode.MarshallingError"/>; a session the client gave up on is
/// <see cref="ZooKeeperErrorCode.SessionExpired"/>.
/// </summary>
internal sealed class ZooKeeperException : Exception
{
    public ZooKeeperException()
        : this(ZooKeeperErrorCode.SystemError, "ZooKeeper error.")
    {
    }

    public ZooKeeperException(string message)
        : this(ZooKeeperErrorCode.SystemError, message)
    {
    }

    public ZooKeeperException(string message, Exception innerException)
        : this(ZooKeeperErrorCode.SystemError, message, path: null, innerException)
    {
    }

    public ZooKeeperException(ZooKeeperErrorCode code, string message, string? path = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>What went wrong.</summary>
    public ZooKeeperErrorCode Code { get; }

    /// <summary>The node concerned, if any.</summary>
    public string? Path { get; }

    /// <summary>The exception for an error code of a reply.</summary>
    public static ZooKeeperException FromCode(ZooKeeperErrorCode code, string? path)
    {
        var where = path is null ? string.Empty : $" ({path})";
        var message = code switch
        {
            ZooKeeperErrorCode.NoNode => $"Node does not exist{where}.",
            ZooKeeperErrorCode.NodeExists => $"Node already exists{where}.",
            ZooKeeperErrorCode.BadVersion => $"Node version did not match{where}.",
            ZooKeeperErrorCode.NotEmpty => $"Node has children{where}.",
            ZooKeeperErrorCode.NoAuth => $"Not authorized{where}: the session's credentials lack the permission.",
            ZooKeeperErrorCode.AuthFailed => $"ZooKeeper refused the credentials{where}.",
            ZooKeeperErrorCode.SessionExpired => $"ZooKeeper session expired{where}.",
            ZooKeeperErrorCode.ConnectionLoss => $"Connection to ZooKeeper lost{where}.",
            ZooKeeperErrorCode.MarshallingError => $"Malformed ZooKeeper frame{where}.",
            _ => $"ZooKeeper error {code} ({(int)code}){where}.",
        };
        return new ZooKeeperException(code, message, path);
    }
}
