namespace Latchkey;

/// <summary>A named counting semaphore: at most <see cref="Permits"/> holders at once.</summary>
public interface IDistributedSemaphore
{
    /// <summary>The semaphore's name, as given.</summary>
    string Name { get; }

    /// <summary>How many holders it admits at once.</summary>
    int Permits { get; }

    /// <summary>Takes a permit if one is free, waiting at most <paramref name="timeout"/>.</summary>
    /// <returns>The handle, or <see langword="null"/> on timeout.</returns>
    ValueTask<ILockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default);

    /// <summary>Takes a permit, waiting as long as <paramref name="timeout"/> allows.</summary>
    /// <exception cref="TimeoutException">Not acquired within the timeout.</exception>
    ValueTask<ILockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);
}
