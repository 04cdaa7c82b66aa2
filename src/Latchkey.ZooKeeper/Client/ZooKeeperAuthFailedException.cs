namespace Latchkey.ZooKeeper.Client;

/// <summary>The server refused the credentials (<see cref="ZooKeeperErrorCode.AuthFailed"/>).</summary>
public sealed class ZooKeeperAuthFailedException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperAuthFailedException()
        : this("The server refused the credentials.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperAuthFailedException(string message)
        : base(ZooKeeperErrorCode.AuthFailed, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperAuthFailedException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.AuthFailed, message, path: null, innerException)
    {
    }

    internal ZooKeeperAuthFailedException(string message, string? path)
        : base(ZooKeeperErrorCode.AuthFailed, message, path)
    {
    }
}
