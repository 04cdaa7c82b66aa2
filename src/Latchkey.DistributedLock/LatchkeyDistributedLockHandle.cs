using Medallion.Threading;

namespace Latchkey.DistributedLock;

/// <summary>
/// DistributedLock.Core's handle over a Latchkey <see cref="ILockHandle"/>: dispose it to release, watch
/// <see cref="HandleLostToken"/> to learn that the lock can no longer be guaranteed, and pass
/// <see cref="FencingToken"/> to the resource you protect.
/// </summary>
public sealed class LatchkeyDistributedLockHandle : IDistributedSynchronizationHandle
{
    private ILockHandle? _handle;

    /// <summary>Wraps a held Latchkey handle; disposing this releases it.</summary>
    /// <param name="handle">The held lock.</param>
    public LatchkeyDistributedLockHandle(ILockHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        _handle = handle;
        FencingToken = handle.FencingToken;
    }

    /// <summary>The Latchkey handle this wraps (for <see cref="ILockHandle.IsHeld"/> and the rest of its API).</summary>
    /// <exception cref="ObjectDisposedException">The handle was disposed.</exception>
    public ILockHandle LockHandle => _handle ?? throw new ObjectDisposedException(nameof(LatchkeyDistributedLockHandle), "The lock handle was disposed.");

    /// <summary>
    /// The acquisition's fencing token: strictly increasing per lock name across every holder. Readable after dispose.
    /// </summary>
    public long FencingToken { get; }

    /// <summary>
    /// Latchkey's <see cref="ILockHandle.Lost"/>: cancelled as soon as the lock can no longer be guaranteed (the lease
    /// expired or could not be renewed in time, the session ended, the key or lock file was removed). Not cancelled by a
    /// release. <c>memory://</c> locks cannot be lost: there it is <see cref="CancellationToken.None"/>, which
    /// <see cref="CancellationToken.CanBeCanceled"/> tells, as DistributedLock.Core's contract asks.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The handle was disposed.</exception>
    public CancellationToken HandleLostToken => LockHandle.Lost;

    /// <summary>
    /// Releases the lock, blocking the calling thread until the backend answers (prefer <see cref="DisposeAsync"/>).
    /// Never throws: a release the backend does not confirm is logged and counted, and the lease frees the lock.
    /// </summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, null);
        if (handle is not null)
        {
            SyncOverAsync.Wait(handle.DisposeAsync());
        }
    }

    /// <summary>
    /// Releases the lock. Never throws: a release the backend does not confirm is logged and counted, and the lease
    /// frees the lock; call <see cref="ILockHandle.ReleaseAsync"/> on <see cref="LockHandle"/> to learn of such a failure.
    /// </summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _handle, null)?.DisposeAsync() ?? default;

    internal static LatchkeyDistributedLockHandle? Wrap(ILockHandle? handle) => handle is null ? null : new(handle);
}
