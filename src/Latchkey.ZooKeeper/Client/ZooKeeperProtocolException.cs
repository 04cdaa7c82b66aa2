namespace Latchkey.ZooKeeper.Client;

/// <summary>The server sent something that is not a valid ZooKeeper frame; the connection is dropped.</summary>
public sealed class ZooKeeperProtocolException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperProtocolException()
        : this("Malformed frame from the server.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ZooKeeperProtocolException(string message)
        : base(ZooKeeperErrorCode.MarshallingError, message, path: null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ZooKeeperProtocolException(string message, Exception innerException)
        : base(ZooKeeperErrorCode.MarshallingError, message, path: null, innerException)
    {
    }

    internal ZooKeeperProtocolException(string message, string? path)
        : base(ZooKeeperErrorCode.MarshallingError, message, path)
    {
    }
}
