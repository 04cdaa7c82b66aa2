using Medallion.Threading;

namespace Latchkey.DistributedLock;

/// <summary>
/// DistributedLock.Core's <see cref="Medallion.Threading.IDistributedSemaphore"/> over a Latchkey semaphore, with the
/// timeout rules of <see cref="LatchkeyDistributedLock"/>. The synchronous methods block the calling thread.
/// </summary>
public sealed class LatchkeyDistributedSemaphore : Medallion.Threading.IDistributedSemaphore
{
    private readonly Latchkey.IDistributedSemaphore _semaphore;

    /// <summary>Wraps a Latchkey semaphore, as created by <see cref="ILockProvider.CreateSemaphore"/>.</summary>
    /// <param name="semaphore">The semaphore.</param>
    public LatchkeyDistributedSemaphore(Latchkey.IDistributedSemaphore semaphore)
    {
        ArgumentNullException.ThrowIfNull(semaphore);
        _semaphore = semaphore;
    }

    /// <summary>The semaphore's name, as given.</summary>
    public string Name => _semaphore.Name;

    /// <summary>How many holders it admits at once (Latchkey's <see cref="Latchkey.IDistributedSemaphore.Permits"/>).</summary>
    public int MaxCount => _semaphore.Permits;

    /// <summary>Tries to take a ticket within <paramref name="timeout"/>, blocking the calling thread.</summary>
    /// <param name="timeout">How long to wait; zero (the default) does not wait.</param>
    /// <param name="cancellationToken">Cancels the wait (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The handle, or <see langword="null"/> if no ticket was free within the timeout.</returns>
    public LatchkeyDistributedLockHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        SyncOverAsync.Wait(TryAcquireAsync(timeout, cancellationToken));

    /// <summary>Takes a ticket, blocking the calling thread.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait (throws <see cref="OperationCanceledException"/>).</param>
    /// <exception cref="TimeoutException">No ticket within the timeout.</exception>
    public LatchkeyDistributedLockHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SyncOverAsync.Wait(AcquireAsync(timeout, cancellationToken));

    /// <summary>Tries to take a ticket within <paramref name="timeout"/>.</summary>
    /// <inheritdoc cref="TryAcquire" path="/param"/>
    /// <returns>The handle, or <see langword="null"/> if no ticket was free within the timeout.</returns>
    public async ValueTask<LatchkeyDistributedLockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        LatchkeyDistributedLockHandle.Wrap(await _semaphore.TryAcquireAsync(timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Takes a ticket.</summary>
    /// <inheritdoc cref="Acquire" path="/param"/>
    /// <exception cref="TimeoutException">No ticket within the timeout.</exception>
    public async ValueTask<LatchkeyDistributedLockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new(await _semaphore.AcquireAsync(timeout, cancellationToken).ConfigureAwait(false));

    IDistributedSynchronizationHandle? Medallion.Threading.IDistributedSemaphore.TryAcquire(TimeSpan timeout, CancellationToken cancellationToken) =>
        TryAcquire(timeout, cancellationToken);

    IDistributedSynchronizationHandle Medallion.Threading.IDistributedSemaphore.Acquire(TimeSpan? timeout, CancellationToken cancellationToken) =>
        Acquire(timeout, cancellationToken);

    async ValueTask<IDistributedSynchronizationHandle?> Medallion.Threading.IDistributedSemaphore.TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await TryAcquireAsync(timeout, cancellationToken).ConfigureAwait(false);

    async ValueTask<IDistributedSynchronizationHandle> Medallion.Threading.IDistributedSemaphore.AcquireAsync(TimeSpan? timeout, CancellationToken cancellationToken) =>
        await AcquireAsync(timeout, cancellationToken).ConfigureAwait(false);
}
