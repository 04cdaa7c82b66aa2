namespace Latchkey.ZooKeeper.Client;

/// <summary>The node has children (<see cref="ZooKeeperErrorCode.NotEmpty"/>).</summary>
public sealed class ZooKeeperNotEmptyException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperNotEmptyException()
        : this("The node has children.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperNotEmptyException(string message)
        : base(ZooKeeperErrorCode.NotEmpty, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperNotEmptyException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.NotEmpty, message, path: null, innerException)
    {
    }

    internal ZooKeeperNotEmptyException(string message, string? path)
        : base(ZooKeeperErrorCode.NotEmpty, message, path)
    {
    }
}
