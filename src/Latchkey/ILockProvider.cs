namespace Latchkey;

/// <summary>
/// A connection to one lock backend. One provider holds one connection and one lease or session
/// that serve every lock created from it; dispose it to release everything it holds.
/// </summary>
public interface ILockProvider : IAsyncDisposable
{
    /// <summary>What this backend promises (fairness, herd-freedom, durable fencing tokens, reach).</summary>
    LockProviderCapabilities Capabilities { get; }

    /// <summary>Creates a mutual-exclusion lock. Cheap: nothing is sent to the server until an acquire.</summary>
    /// <param name="name">Any text of 1–1,024 UTF-8 bytes without control characters.</param>
    /// <param name="options">Lock options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The name or the options are invalid.</exception>
    IDistributedLock CreateLock(string name, LockOptions? options = null);

    /// <summary>Creates a reader-writer lock: many readers or one writer; a waiting writer blocks later readers.</summary>
    /// <inheritdoc cref="CreateLock" path="/param"/>
    /// <exception cref="ArgumentException">The name or the options are invalid.</exception>
    IDistributedReaderWriterLock CreateReaderWriterLock(string name, LockOptions? options = null);

    /// <summary>Creates a counting semaphore that admits at most <paramref name="permits"/> holders at once.</summary>
    /// <param name="name">Any text of 1–1,024 UTF-8 bytes without control characters.</param>
    /// <param name="permits">How many holders may hold it at once; at least 1.</param>
    /// <param name="options">Lock options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The name, the permits or the options are invalid.</exception>
    IDistributedSemaphore CreateSemaphore(string name, int permits, LockOptions? options = null);

    /// <summary>Creates a leader election: at most one leader at a time, the others queue to succeed it.</summary>
    /// <inheritdoc cref="CreateLock" path="/param"/>
    /// <exception cref="ArgumentException">The name or the options are invalid.</exception>
    ILeaderElection CreateElection(string name, LockOptions? options = null);

    /// <summary>Reads the holders and waiters of a lock as the backend sees them now (for diagnostics).</summary>
    /// <param name="kind">Which kind of primitive the name belongs to.</param>
    /// <param name="name">The primitive's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes sure the backend can be reached now, instead of at the first acquire.
    /// </summary>
    /// <exception cref="LockBackendUnavailableException">The backend cannot be reached.</exception>
    ValueTask ConnectAsync(CancellationToken cancellationToken = default);
}
