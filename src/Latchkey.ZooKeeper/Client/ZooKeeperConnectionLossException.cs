namespace Latchkey.ZooKeeper.Client;

/// <summary>The connection was lost before the reply came (<see cref="ZooKeeperErrorCode.ConnectionLoss"/>): the operation may or may not have been applied.</summary>
public sealed class ZooKeeperConnectionLossException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperConnectionLossException()
        : this("The connection to ZooKeeper was lost.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperConnectionLossException(string message)
        : base(ZooKeeperErrorCode.ConnectionLoss, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperConnectionLossException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.ConnectionLoss, message, path: null, innerException)
    {
    }

    internal ZooKeeperConnectionLossException(string message, string? path)
        : base(ZooKeeperErrorCode.ConnectionLoss, message, path)
    {
    }
}
