namespace Latchkey;

/// <summary>Options of one lock, semaphore or election. Validated when the primitive is created.</summary>
public sealed record LockOptions
{
    /// <summary>The default time to live: 30 seconds.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the lock outlives a holder that stopped renewing it (crashed, paused or cut off).
    /// Renewed every <c>Ttl/3</c> while held. Backends with one lease per provider use the provider's TTL.
    /// </summary>
    public TimeSpan Ttl { get; init; } = DefaultTtl;

    /// <summary>
    /// When <see langword="true"/>, an acquire from an async flow that already holds the lock returns at once
    /// with the same fencing token, and only the outermost release frees it. Off by default.
    /// </summary>
    public bool Reentrant { get; init; }

    /// <summary>
    /// Asks for first-come, first-served hand-off where the backend offers a choice
    /// (<see langword="null"/>: the backend's default; see <see cref="LockProviderCapabilities.Fair"/>).
    /// </summary>
    public bool? Fair { get; init; }

    /// <summary>Checks the options, with a message that names the wrong value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The TTL is zero, negative or over 24 hours.</exception>
    public void Validate()
    {
        if (Ttl <= TimeSpan.Zero || Ttl > TimeSpan.FromHours(24))
        {
            throw new ArgumentOutOfRangeException(nameof(Ttl), Ttl, $"TTL must be more than zero and at most 24 hours; got {Ttl}.");
        }
    }
}
