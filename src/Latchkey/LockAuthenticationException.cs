namespace Latchkey;

/// <summary>The backend refused the credentials of the connection string.</summary>
public class LockAuthenticationException : LockBackendUnavailableException
{
    /// <summary>Creates the exception.</summary>
    public LockAuthenticationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LockAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public LockAuthenticationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
