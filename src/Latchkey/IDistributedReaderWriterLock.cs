namespace Latchkey;

/// <summary>
/// A named reader-writer lock: any number of readers, or one writer. Readers wait only for writers
/// that asked before them, so a waiting writer is not starved by a stream of readers.
/// </summary>
public interface IDistributedReaderWriterLock
{
    /// <summary>The lock's name, as given.</summary>
    string Name { get; }

    /// <summary>Acquires shared (read) access, waiting at most <paramref name="timeout"/>.</summary>
    /// <returns>The handle, or <see langword="null"/> on timeout.</returns>
    ValueTask<ILockHandle?> TryAcquireReadAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default);

    /// <summary>Acquires shared (read) access, waiting as long as <paramref name="timeout"/> allows.</summary>
    /// <exception cref="TimeoutException">Not acquired within the timeout.</exception>
    ValueTask<ILockHandle> AcquireReadAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Acquires exclusive (write) access, waiting at most <paramref name="timeout"/>.</summary>
    /// <returns>The handle, or <see langword="null"/> on timeout.</returns>
    ValueTask<ILockHandle?> TryAcquireWriteAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default);

    /// <summary>Acquires exclusive (write) access, waiting as long as <paramref name="timeout"/> allows.</summary>
    /// <exception cref="TimeoutException">Not acquired within the timeout.</exception>
    ValueTask<ILockHandle> AcquireWriteAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);
}
