using Medallion.Threading;

namespace Latchkey.DistributedLock;

/// <summary>
/// DistributedLock.Core's <see cref="Medallion.Threading.IDistributedReaderWriterLock"/> over a Latchkey reader-writer
/// lock (a waiting writer blocks later readers), with the timeout rules of <see cref="LatchkeyDistributedLock"/>. The
/// synchronous methods block the calling thread. Upgradeable read locks are not offered: Latchkey has none.
/// </summary>
public sealed class LatchkeyDistributedReaderWriterLock : Medallion.Threading.IDistributedReaderWriterLock
{
    private readonly Latchkey.IDistributedReaderWriterLock _lock;

    /// <summary>Wraps a Latchkey reader-writer lock, as created by <see cref="ILockProvider.CreateReaderWriterLock"/>.</summary>
    /// <param name="readerWriterLock">The lock.</param>
    public LatchkeyDistributedReaderWriterLock(Latchkey.IDistributedReaderWriterLock readerWriterLock)
    {
        ArgumentNullException.ThrowIfNull(readerWriterLock);
        _lock = readerWriterLock;
    }

    /// <summary>The lock's name, as given.</summary>
    public string Name => _lock.Name;

    /// <summary>Tries to take a read lock within <paramref name="timeout"/>, blocking the calling thread.</summary>
    /// <param name="timeout">How long to wait; zero (the default) does not wait.</param>
    /// <param name="cancellationToken">Cancels the wait (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The handle, or <see langword="null"/> on timeout.</returns>
    public LatchkeyDistributedLockHandle? TryAcquireReadLock(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        SyncOverAsync.Wait(TryAcquireReadLockAsync(timeout, cancellationToken));

    /// <summary>Takes a read lock, blocking the calling thread.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait (throws <see cref="OperationCanceledException"/>).</param>
    /// <exception cref="TimeoutException">Not acquired within the timeout.</exception>
    public LatchkeyDistributedLockHandle AcquireReadLock(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SyncOverAsync.Wait(AcquireReadLockAsync(timeout, cancellationToken));

    /// <summary>Tries to take a read lock within <paramref name="timeout"/>.</summary>
    /// <inheritdoc cref="TryAcquireReadLock" path="/param"/>
    /// <returns>The handle, or <see langword="null"/> on timeout.</returns>
    public async ValueTask<LatchkeyDistributedLockHandle?> TryAcquireReadLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        LatchkeyDistributedLockHandle.Wrap(await _lock.TryAcquireReadAsync(timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Takes a read lock.</summary>
    /// <inheritdoc cref="AcquireReadLock" path="/param"/>
    /// <exception cref="TimeoutException">Not acquired within the timeout.</exception>
    public async ValueTask<LatchkeyDistributedLockHandle> AcquireReadLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new(await _lock.AcquireReadAsync(timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Tries to take the write lock within <paramref name="timeout"/>, blocking the calling thread.</summary>
    /// <inheritdoc cref="TryAcquireReadLock" path="/param"/>
    /// <returns>The handle, or <see langword="null"/> on timeout.</returns>
    public LatchkeyDistributedLockHandle? TryAcquireWriteLock(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        SyncOverAsync.Wait(TryAcquireWriteLockAsync(timeout, cancellationToken));

    /// <summary>Takes the write lock, blocking the calling thread.</summary>
    /// <inheritdoc cref="AcquireReadLock" path="/param"/>
    /// <exception cref="TimeoutException">Not acquired within the timeout.</exception>
    public LatchkeyDistributedLockHandle AcquireWriteLock(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SyncOverAsync.Wait(AcquireWriteLockAsync(timeout, cancellationToken));

    /// <summary>Tries to take the write lock within <paramref name="timeout"/>.</summary>
    /// <inheritdoc cref="TryAcquireReadLock" path="/param"/>
    /// <returns>The handle, or <see langword="null"/> on timeout.</returns>
    public async ValueTask<LatchkeyDistributedLockHandle?> TryAcquireWriteLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        LatchkeyDistributedLockHandle.Wrap(await _lock.TryAcquireWriteAsync(timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Takes the write lock.</summary>
    /// <inheritdoc cref="AcquireReadLock" path="/param"/>
    /// <exception cref="TimeoutException">Not acquired within the timeout.</exception>
    public async ValueTask<LatchkeyDistributedLockHandle> AcquireWriteLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new(await _lock.AcquireWriteAsync(timeout, cancellationToken).ConfigureAwait(false));

    IDistributedSynchronizationHandle? Medallion.Threading.IDistributedReaderWriterLock.TryAcquireReadLock(TimeSpan timeout, CancellationToken cancellationToken) =>
        TryAcquireReadLock(timeout, cancellationToken);

    IDistributedSynchronizationHandle Medallion.Threading.IDistributedReaderWriterLock.AcquireReadLock(TimeSpan? timeout, CancellationToken cancellationToken) =>
        AcquireReadLock(timeout, cancellationToken);

    async ValueTask<IDistributedSynchronizationHandle?> Medallion.Threading.IDistributedReaderWriterLock.TryAcquireReadLockAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await TryAcquireReadLockAsync(timeout, cancellationToken).ConfigureAwait(false);

    async ValueTask<IDistributedSynchronizationHandle> Medallion.Threading.IDistributedReaderWriterLock.AcquireReadLockAsync(TimeSpan? timeout, CancellationToken cancellationToken) =>
        await AcquireReadLockAsync(timeout, cancellationToken).ConfigureAwait(false);

    IDistributedSynchronizationHandle? Medallion.Threading.IDistributedReaderWriterLock.TryAcquireWriteLock(TimeSpan timeout, CancellationToken cancellationToken) =>
        TryAcquireWriteLock(timeout, cancellationToken);

    IDistributedSynchronizationHandle Medallion.Threading.IDistributedReaderWriterLock.AcquireWriteLock(TimeSpan? timeout, CancellationToken cancellationToken) =>
        AcquireWriteLock(timeout, cancellationToken);

    async ValueTask<IDistributedSynchronizationHandle?> Medallion.Threading.IDistributedReaderWriterLock.TryAcquireWriteLockAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await TryAcquireWriteLockAsync(timeout, cancellationToken).ConfigureAwait(false);

    async ValueTask<IDistributedSynchronizationHandle> Medallion.Threading.IDistributedReaderWriterLock.AcquireWriteLockAsync(TimeSpan? timeout, CancellationToken cancellationToken) =>
        await AcquireWriteLockAsync(timeout, cancellationToken).ConfigureAwait(false);
}
