namespace Latchkey.ZooKeeper.Client;

/// <summary>The node already exists (<see cref="ZooKeeperErrorCode.NodeExists"/>).</summary>
public sealed class ZooKeeperNodeExistsException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperNodeExistsException()
        : this("The node already exists.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperNodeExistsException(string message)
        : base(ZooKeeperErrorCode.NodeExists, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperNodeExistsException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.NodeExists, message, path: null, innerException)
    {
    }

    internal ZooKeeperNodeExistsException(string message, string? path)
        : base(ZooKeeperErrorCode.NodeExists, message, path)
    {
    }
}
