namespace Latchkey.Backend;

/// <summary>A backend's record of one held acquisition. The core wraps it in the handle users see.</summary>
public abstract class LockAcquisition
{
    /// <summary>What the core's telemetry keeps of this acquisition; only while someone listens, so it costs nothing otherwise.</summary>
    internal Internal.HeldTelemetry? Telemetry { get; set; }

    /// <summary>The fencing token of this acquisition.</summary>
    public abstract long FencingToken { get; }

    /// <summary>Cancelled when the backend can no longer guarantee the lock. Never cancelled by <see cref="ReleaseAsync"/>.</summary>
    public abstract CancellationToken Lost { get; }

    /// <summary>
    /// Checks now, without waiting for a timer, whether the lock may no longer be guaranteed; if so, cancels
    /// <see cref="Lost"/> on the spot (callbacks run on the thread pool) and returns <see langword="true"/>.
    /// A leased backend compares the monotonic clock with its lease's confirmed deadline
    /// (<c>LeaseClock.IsExpired</c>); the default reads <see cref="Lost"/>.
    /// </summary>
    public virtual bool CheckLost() => Lost.IsCancellationRequested;

    /// <summary>
    /// Frees the lock. Called at most once by the core. Must never free a newer holder's lock, even when
    /// a request is retried; throws <see cref="LockBackendUnavailableException"/> if the release
    /// could not be confirmed (the TTL still frees it).
    /// </summary>
    public abstract ValueTask ReleaseAsync();

    /// <summary>Replaces the election value of a leader. Backends that support elections override it.</summary>
    /// <exception cref="LockLostException">The lease was lost.</exception>
    public virtual ValueTask ProclaimAsync(string value, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This backend does not support elections.");
}
