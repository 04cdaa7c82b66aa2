namespace Latchkey;

/// <summary>
/// Proof of holding a lock. Dispose or release it to let the next waiter in. Check <see cref="Lost"/>
/// before acting on the protected resource, and pass <see cref="FencingToken"/> to it.
/// </summary>
/// <remarks>
/// <see cref="IAsyncDisposable.DisposeAsync"/> releases like <see cref="ReleaseAsync"/> but never throws: a
/// release that cannot be confirmed (the server does not answer) is logged and counted on the
/// <c>Latchkey</c> meter (<c>latchkey.lock.release.failures</c>), and the lease or TTL frees the lock.
/// Call <see cref="ReleaseAsync"/> to learn of such a failure.
/// </remarks>
public interface ILockHandle : IAsyncDisposable
{
    /// <summary>The name of the lock this handle holds.</summary>
    string Name { get; }

    /// <summary>
    /// A number that strictly increases with every acquisition of this lock name, across every holder
    /// (see the backend's <see cref="LockProviderCapabilities.DurableFencingTokens"/>). A resource that
    /// remembers the highest token it has seen can refuse a stale holder.
    /// </summary>
    long FencingToken { get; }

    /// <summary>
    /// Cancelled as soon as the lock can no longer be guaranteed: the lease expired or could not be
    /// renewed in time, the session ended, or the key was removed by someone else. Not cancelled by
    /// a normal release.
    /// </summary>
    CancellationToken Lost { get; }

    /// <summary>
    /// Whether the lock is still guaranteed, checked now: not released, <see cref="Lost"/> not fired, and the
    /// lease's confirmed deadline not past on the monotonic clock. Needs no timer to have run, so a holder
    /// that just woke from a pause (GC, SIGSTOP, a VM migration) past its TTL reads <see langword="false"/> at
    /// once, and <see cref="Lost"/> is cancelled on the spot. Check it right before each write to a
    /// resource that cannot check fencing tokens.
    /// </summary>
    bool IsHeld { get; }

    /// <summary>Throws <see cref="LockLostException"/> unless <see cref="IsHeld"/>.</summary>
    /// <exception cref="LockLostException">The lock was released, or can no longer be guaranteed.</exception>
    void ThrowIfNotHeld();

    /// <summary>
    /// Releases the lock. Idempotent; never frees a lock that someone else holds now.
    /// </summary>
    /// <exception cref="LockBackendUnavailableException">
    /// The release could not be confirmed; the lease or TTL still frees the lock in time.
    /// </exception>
    ValueTask ReleaseAsync();
}
