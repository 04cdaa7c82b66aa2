namespace Latchkey.Redis;

/// <summary>What one renewal found.</summary>
internal enum RenewOutcome
{
    /// <summary>Renewed: the lease runs a full TTL from when the request was sent.</summary>
    Confirmed,

    /// <summary>The server no longer has it (expired, or taken over): lost now.</summary>
    Gone,

    /// <summary>No answer or an error: try again soon; the deadline still stands.</summary>
    Failed,
}
