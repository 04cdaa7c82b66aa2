namespace Latchkey;

/// <summary>One-liners for the common case: a plain lock by name, with the default options.</summary>
public static class LockProviderExtensions
{
    /// <summary>Acquires the lock <paramref name="name"/>: <c>provider.CreateLock(name).AcquireAsync(timeout, cancellationToken)</c>.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="name">Any text of 1–1,024 UTF-8 bytes without control characters.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait; the queue is left clean.</param>
    /// <exception cref="TimeoutException">The lock was not acquired within <paramref name="timeout"/>.</exception>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public static ValueTask<ILockHandle> AcquireAsync(this ILockProvider provider, string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return provider.CreateLock(name).AcquireAsync(timeout, cancellationToken);
    }

    /// <summary>Tries to acquire the lock <paramref name="name"/>; <see langword="null"/> when it is not free within <paramref name="timeout"/> (by default: now).</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="name">Any text of 1–1,024 UTF-8 bytes without control characters.</param>
    /// <param name="timeout">How long to wait; zero (the default) does not wait.</param>
    /// <param name="cancellationToken">Cancels the wait; the queue is left clean.</param>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public static ValueTask<ILockHandle?> TryAcquireAsync(this ILockProvider provider, string name, TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return provider.CreateLock(name).TryAcquireAsync(timeout, cancellationToken);
    }
}
