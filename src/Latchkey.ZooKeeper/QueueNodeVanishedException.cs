namespace Latchkey.ZooKeeper;

/// <summary>Our queue node was deleted by another client while we waited; the acquire queues again.</summary>
internal sealed class QueueNodeVanishedException : Exception
{
    public QueueNodeVanishedException()
    {
    }

    public QueueNodeVanishedException(string path)
        : base($"Queue node {path} was deleted by another client.")
    {
    }

    public QueueNodeVanishedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
