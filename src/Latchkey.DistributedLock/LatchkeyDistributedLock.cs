using Medallion.Threading;

namespace Latchkey.DistributedLock;

/// <summary>
/// DistributedLock.Core's <see cref="Medallion.Threading.IDistributedLock"/> over a Latchkey lock. Timeouts mean what
/// they mean there: <c>TryAcquire</c> waits 0 by default and returns <see langword="null"/> when the time runs out,
/// <c>Acquire</c> waits forever by default and throws <see cref="TimeoutException"/>;
/// <see cref="Timeout.InfiniteTimeSpan"/> waits forever. The synchronous methods block the calling thread for the
/// whole wait, as DistributedLock's own do; prefer the asynchronous ones.
/// </summary>
public sealed class LatchkeyDistributedLock : Medallion.Threading.IDistributedLock
{
    private readonly Latchkey.IDistributedLock _lock;

    /// <summary>Wraps a Latchkey lock, as created by <see cref="ILockProvider.CreateLock"/>.</summary>
    /// <param name="latchkeyLock">The lock.</param>
    public LatchkeyDistributedLock(Latchkey.IDistributedLock latchkeyLock)
    {
        ArgumentNullException.ThrowIfNull(latchkeyLock);
        _lock = latchkeyLock;
    }

    /// <summary>The lock's name, as given (Latchkey escapes it into the backend's key space).</summary>
    public string Name => _lock.Name;

    /// <summary>Tries to acquire the lock within <paramref name="timeout"/>, blocking the calling thread.</summary>
    /// <param name="timeout">How long to wait; zero (the default) does not wait.</param>
    /// <param name="cancellationToken">Cancels the wait (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The handle, or <see langword="null"/> if the lock was not free within the timeout.</returns>
    public LatchkeyDistributedLockHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        SyncOverAsync.Wait(TryAcquireAsync(timeout, cancellationToken));

    /// <summary>Acquires the lock, blocking the calling thread.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait (throws <see cref="OperationCanceledException"/>).</param>
    /// <exception cref="TimeoutException">The lock was not acquired within the timeout.</exception>
    public LatchkeyDistributedLockHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SyncOverAsync.Wait(AcquireAsync(timeout, cancellationToken));

    /// <summary>Tries to acquire the lock within <paramref name="timeout"/>.</summary>
    /// <inheritdoc cref="TryAcquire" path="/param"/>
    /// <returns>The handle, or <see langword="null"/> if the lock was not free within the timeout.</returns>
    public async ValueTask<LatchkeyDistributedLockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        LatchkeyDistributedLockHandle.Wrap(await _lock.TryAcquireAsync(timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Acquires the lock.</summary>
    /// <inheritdoc cref="Acquire" path="/param"/>
    /// <exception cref="TimeoutException">The lock was not acquired within the timeout.</exception>
    public async ValueTask<LatchkeyDistributedLockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new(await _lock.AcquireAsync(timeout, cancellationToken).ConfigureAwait(false));

    IDistributedSynchronizationHandle? Medallion.Threading.IDistributedLock.TryAcquire(TimeSpan timeout, CancellationToken cancellationToken) =>
        TryAcquire(timeout, cancellationToken);

    IDistributedSynchronizationHandle Medallion.Threading.IDistributedLock.Acquire(TimeSpan? timeout, CancellationToken cancellationToken) =>
        Acquire(timeout, cancellationToken);

    async ValueTask<IDistributedSynchronizationHandle?> Medallion.Threading.IDistributedLock.TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await TryAcquireAsync(timeout, cancellationToken).ConfigureAwait(false);

    async ValueTask<IDistributedSynchronizationHandle> Medallion.Threading.IDistributedLock.AcquireAsync(TimeSpan? timeout, CancellationToken cancellationToken) =>
        await AcquireAsync(timeout, cancellationToken).ConfigureAwait(false);
}
