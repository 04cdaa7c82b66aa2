namespace Latchkey;

/// <summary>A named mutual-exclusion lock shared by every process that uses the same backend.</summary>
public interface IDistributedLock
{
    /// <summary>The lock's name, as given.</summary>
    string Name { get; }

    /// <summary>
    /// Acquires the lock if it is free, waiting at most <paramref name="timeout"/> (by default not at all).
    /// </summary>
    /// <returns>The handle, or <see langword="null"/> if the lock was still held elsewhere when the timeout ran out.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="LockBackendUnavailableException">The backend cannot be reached.</exception>
    ValueTask<ILockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default);

    /// <summary>Acquires the lock, waiting as long as <paramref name="timeout"/> allows (by default forever).</summary>
    /// <exception cref="TimeoutException">The lock was not acquired within the timeout.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="LockBackendUnavailableException">The backend cannot be reached.</exception>
    ValueTask<ILockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);
}
