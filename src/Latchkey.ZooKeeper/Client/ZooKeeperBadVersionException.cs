namespace Latchkey.ZooKeeper.Client;

/// <summary>The node's version did not match (<see cref="ZooKeeperErrorCode.BadVersion"/>).</summary>
public sealed class ZooKeeperBadVersionException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperBadVersionException()
        : this("The node's version did not match.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperBadVersionException(string message)
        : base(ZooKeeperErrorCode.BadVersion, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperBadVersionException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.BadVersion, message, path: null, innerException)
    {
    }

    internal ZooKeeperBadVersionException(string message, string? path)
        : base(ZooKeeperErrorCode.BadVersion, message, path)
    {
    }
}
