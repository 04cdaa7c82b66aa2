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

    /// <summary>
    /// Takes every lock of <paramref name="names"/> or none: in one global order (sorted by escaped name), so
    /// two callers asking for overlapping sets cannot deadlock; if one cannot be had within the
    /// <paramref name="timeout"/> (one deadline for all), or the wait is cancelled or fails, the ones taken
    /// are released and nothing is left queued.
    /// </summary>
    /// <param name="provider">The provider.</param>
    /// <param name="names">The lock names; duplicates count once. At least one.</param>
    /// <param name="timeout">How long to wait for all of them; <see langword="null"/> waits until cancelled.</param>
    /// <param name="options">Options of every lock; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">Not every lock was acquired within <paramref name="timeout"/>; none is held.</exception>
    /// <exception cref="ArgumentException">No name, or an invalid one.</exception>
    public static async ValueTask<IMultiLockHandle> AcquireAllAsync(
        this ILockProvider provider, IEnumerable<string> names, TimeSpan? timeout = null, LockOptions? options = null, CancellationToken cancellationToken = default) =>
        await TakeAllAsync(provider, names, timeout ?? Timeout.InfiniteTimeSpan, options, cancellationToken).ConfigureAwait(false)
        ?? throw new TimeoutException($"Timed out after {timeout} waiting for all of {string.Join(", ", names)}; none is held.");

    /// <summary>Like <see cref="AcquireAllAsync"/>, but returns <see langword="null"/> (holding none) when not all are free within <paramref name="timeout"/> (by default: now).</summary>
    /// <inheritdoc cref="AcquireAllAsync" path="/param"/>
    /// <exception cref="ArgumentException">No name, or an invalid one.</exception>
    public static ValueTask<IMultiLockHandle?> TryAcquireAllAsync(
        this ILockProvider provider, IEnumerable<string> names, TimeSpan timeout = default, LockOptions? options = null, CancellationToken cancellationToken = default) =>
        TakeAllAsync(provider, names, timeout, options, cancellationToken);

    private static async ValueTask<IMultiLockHandle?> TakeAllAsync(
        ILockProvider provider, IEnumerable<string> names, TimeSpan timeout, LockOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(names);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"Timeout must be zero or more, or infinite; got {timeout}.");
        }

        // Creating the locks validates every name before anything is sent.
        var locks = names.Distinct(StringComparer.Ordinal)
            .Select(name => (Escaped: LockName.Escape(name), Lock: provider.CreateLock(name, options)))
            .OrderBy(l => l.Escaped, StringComparer.Ordinal)
            .Select(l => l.Lock)
            .ToList();
        if (locks.Count == 0)
        {
            throw new ArgumentException("At least one lock name is needed.", nameof(names));
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var taken = new List<ILockHandle>(locks.Count);
        try
        {
            foreach (var distributedLock in locks)
            {
                var left = timeout == Timeout.InfiniteTimeSpan ? timeout : timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                var handle = await distributedLock.TryAcquireAsync(left > TimeSpan.Zero || left == Timeout.InfiniteTimeSpan ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                if (handle is null)
                {
                    await ReleaseAllAsync(taken).ConfigureAwait(false);
                    return null;
                }

                taken.Add(handle);
            }
        }
        catch
        {
            await ReleaseAllAsync(taken).ConfigureAwait(false);
            throw;
        }

        return new Internal.MultiLockHandle(taken);
    }

    private static async ValueTask ReleaseAllAsync(List<ILockHandle> taken)
    {
        for (var i = taken.Count - 1; i >= 0; i--)
        {
            await taken[i].DisposeAsync().ConfigureAwait(false); // never throws: a failed release is logged, counted and freed by its TTL
        }
    }
}
