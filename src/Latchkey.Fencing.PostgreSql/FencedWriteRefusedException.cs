namespace Latchkey.Fencing.PostgreSql;

/// <summary>
/// A fenced write was refused: a newer holder of the lock (a higher fencing token) has already written
/// to the resource, so this holder's lock was lost. Nothing was written; the transaction was rolled back.
/// </summary>
/// <remarks>
/// It is a <see cref="LockLostException"/>: the refusal is the resource's proof that the lock passed to
/// someone else, however sure the holder was that it still held it (a pause past the lease, a partition).
/// </remarks>
public sealed class FencedWriteRefusedException : LockLostException
{
    /// <summary>Creates the exception.</summary>
    public FencedWriteRefusedException()
    {
        Resource = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    public FencedWriteRefusedException(string message)
        : base(message)
    {
        Resource = string.Empty;
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public FencedWriteRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Resource = string.Empty;
    }

    /// <summary>Creates the exception for a refused write of <paramref name="token"/> to <paramref name="resource"/>.</summary>
    /// <param name="resource">The fenced resource.</param>
    /// <param name="token">The fencing token the write offered.</param>
    /// <param name="highestToken">The highest token recorded for the resource, if it could be read.</param>
    public FencedWriteRefusedException(string resource, long token, long? highestToken)
        : base(Describe(resource, token, highestToken))
    {
        Resource = resource;
        Token = token;
        HighestToken = highestToken;
    }

    /// <summary>The fenced resource the write was for.</summary>
    public string Resource { get; }

    /// <summary>The fencing token the refused write offered.</summary>
    public long Token { get; }

    /// <summary>
    /// The highest token recorded for the resource, read just after the refusal (higher than
    /// <see cref="Token"/>); <see langword="null"/> if its fence row was removed meanwhile.
    /// </summary>
    public long? HighestToken { get; }

    private static string Describe(string resource, long token, long? highestToken) =>
        $"The fenced write to '{resource}' was refused: its fencing token {token} is older than "
        + (highestToken is { } highest ? $"{highest}, the highest that has written to it" : "a token that has written to it")
        + ". The lock was lost to a newer holder; nothing was written.";
}
