namespace Latchkey;

/// <summary>The backend could not be reached, or did not answer in time, or is not the server expected.</summary>
public class LockBackendUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LockBackendUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LockBackendUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public LockBackendUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
