namespace Latchkey.ZooKeeper.Client;

/// <summary>An error reply from ZooKeeper, or a failure of the client's connection or session. Subclasses name the common codes.</summary>
public class ZooKeeperException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperException()
        : this(ZooKeeperErrorCode.SystemError, "ZooKeeper error.", path: null)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperException(string message)
        : this(ZooKeeperErrorCode.SystemError, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperException(string message, Exception innerException)
        : this(ZooKeeperErrorCode.SystemError, message, path: null, innerException)
    {
    }

    /// <summary>Creates the exception for an error code.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="path">The node concerned, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ZooKeeperException(ZooKeeperErrorCode code, string message, string? path, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>The error code.</summary>
    public ZooKeeperErrorCode Code { get; }

    /// <summary>The node concerned, if any.</summary>
    public string? Path { get; }

    /// <summary>The typed exception for an error code of a reply.</summary>
    public static ZooKeeperException FromCode(ZooKeeperErrorCode code, string? path)
    {
        var where = path is null ? string.Empty : $" ({path})";
        return code switch
        {
            ZooKeeperErrorCode.NoNode => new ZooKeeperNoNodeException($"Node does not exist{where}.", path),
            ZooKeeperErrorCode.NodeExists => new ZooKeeperNodeExistsException($"Node already exists{where}.", path),
            ZooKeeperErrorCode.BadVersion => new ZooKeeperBadVersionException($"Node version did not match{where}.", path),
            ZooKeeperErrorCode.NotEmpty => new ZooKeeperNotEmptyException($"Node has children{where}.", path),
            ZooKeeperErrorCode.NoAuth => new ZooKeeperNoAuthException($"Not authorized{where}: the session's credentials lack the permission.", path),
            ZooKeeperErrorCode.AuthFailed => new ZooKeeperAuthFailedException($"ZooKeeper refused the credentials{where}.", path),
            ZooKeeperErrorCode.SessionExpired => new ZooKeeperSessionExpiredException($"ZooKeeper session expired{where}.", path),
            ZooKeeperErrorCode.ConnectionLoss => new ZooKeeperConnectionLossException($"Connection to ZooKeeper lost{where}.", path),
            ZooKeeperErrorCode.MarshallingError => new ZooKeeperProtocolException($"Malformed ZooKeeper frame{where}.", path),
            _ => new ZooKeeperException(code, $"ZooKeeper error {code} ({(int)code}){where}.", path),
        };
    }
}
