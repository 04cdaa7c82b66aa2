namespace Latchkey.ZooKeeper.Client;

/// <summary>The node does not exist (<see cref="ZooKeeperErrorCode.NoNode"/>).</summary>
public sealed class ZooKeeperNoNodeException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperNoNodeException()
        : this("The node does not exist.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperNoNodeException(string message)
        : base(ZooKeeperErrorCode.NoNode, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperNoNodeException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.NoNode, message, path: null, innerException)
    {
    }

    internal ZooKeeperNoNodeException(string message, string? path)
        : base(ZooKeeperErrorCode.NoNode, message, path)
    {
    }
}
