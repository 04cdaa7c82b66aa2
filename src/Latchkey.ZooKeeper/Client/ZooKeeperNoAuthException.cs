namespace Latchkey.ZooKeeper.Client;

/// <summary>The session lacks the permission (<see cref="ZooKeeperErrorCode.NoAuth"/>).</summary>
public sealed class ZooKeeperNoAuthException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperNoAuthException()
        : this("The session lacks the permission.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperNoAuthException(string message)
        : base(ZooKeeperErrorCode.NoAuth, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperNoAuthException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.NoAuth, message, path: null, innerException)
    {
    }

    internal ZooKeeperNoAuthException(string message, string? path)
        : base(ZooKeeperErrorCode.NoAuth, message, path)
    {
    }
}
