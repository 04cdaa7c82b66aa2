namespace Latchkey.Backend;

/// <summary>
/// What a backend implements. The core does the rest once for every backend: name and option
/// validation, timeouts, reentrancy, handles, elections on top of exclusive acquisition, metrics.
/// </summary>
/// <remarks>
/// Contract of <see cref="AcquireAsync"/>: mutual exclusion between every lease of one
/// (<see cref="LockRequest.Kind"/>, <see cref="LockRequest.Name"/>) within the
/// <see cref="LockRequest.Permits"/> and <see cref="LockRequest.Access"/> rules; a cancelled or failed
/// acquire leaves nothing behind on the server; fencing tokens strictly increase per name.
/// </remarks>
public abstract class LockBackend : IAsyncDisposable
{
    private BackendInstruments? _instruments;

    /// <summary>What this backend promises.</summary>
    public abstract LockProviderCapabilities Capabilities { get; }

    /// <summary>Connects now (the core calls it from <see cref="ILockProvider.ConnectAsync"/>); backends may also connect lazily.</summary>
    /// <exception cref="LockBackendUnavailableException">The backend cannot be reached.</exception>
    public virtual ValueTask ConnectAsync(CancellationToken cancellationToken) => default;

    /// <summary>
    /// Acquires per <paramref name="request"/>. Returns <see langword="null"/> only when
    /// <see cref="LockRequest.Wait"/> is false and the lock is taken. On cancellation throws
    /// <see cref="OperationCanceledException"/> after withdrawing from the queue.
    /// </summary>
    public abstract ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken);

    /// <summary>Reads the holders and waiters of a primitive. <paramref name="escapedName"/> is <see cref="LockName.Escape"/> of <paramref name="name"/>.</summary>
    public abstract ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken);

    /// <summary>
    /// Yields the status now and again each time it may have changed (duplicates allowed), until cancelled.
    /// Event-driven: backends wait on a watch or notification, not a fixed-interval poll.
    /// </summary>
    public abstract IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken);

    /// <summary>
    /// This instance's instruments on the <c>Latchkey</c> meter. A herd-free backend counts each time a
    /// waiting acquire is woken because its turn may have come (by a watch event, a message, a fallback
    /// timer, or a read that found the change first); the conformance suite checks one wake-up per release.
    /// A backend whose waiters also prepare ahead of their turn counts that apart, as a look-ahead.
    /// </summary>
    internal BackendInstruments Instruments =>
        _instruments ?? LazyInitializer.EnsureInitialized(ref _instruments, () => new BackendInstruments(Capabilities.Backend));

    /// <summary>Ends this instance's instruments; the provider calls it after <see cref="DisposeAsync"/>.</summary>
    internal void DisposeInstruments() => _instruments?.Dispose();

    /// <summary>Rejects options this backend cannot honour (say, a TTL below the server's minimum).</summary>
    /// <exception cref="ArgumentException">The options cannot be honoured.</exception>
    public virtual void ValidateOptions(LockOptions options)
    {
    }

    /// <summary>Releases everything held and closes the connection.</summary>
    public abstract ValueTask DisposeAsync();
}
