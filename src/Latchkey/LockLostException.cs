namespace Latchkey;

/// <summary>An operation needed the lock, but it was lost (lease expired, session ended, key removed).</summary>
public class LockLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LockLostException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LockLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public LockLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
