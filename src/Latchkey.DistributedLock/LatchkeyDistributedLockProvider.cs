using Medallion.Threading;

namespace Latchkey.DistributedLock;

/// <summary>
/// DistributedLock.Core's providers over a Latchkey <see cref="ILockProvider"/>: code and frameworks written against
/// <see cref="IDistributedLockProvider"/> (ABP, for one) get Latchkey's backends, fencing tokens and <c>Lost</c>
/// signal without changing their call sites.
/// </summary>
/// <remarks>
/// In a container: <c>services.AddLatchkey("…").AddLatchkeyDistributedLock()</c>
/// (<see cref="LatchkeyDistributedLockServiceCollectionExtensions.AddLatchkeyDistributedLock"/>).
/// It does not own the Latchkey provider: disposing that one is still its owner's job. Names follow Latchkey's rule
/// (1–1,024 UTF-8 bytes of text; <see cref="ArgumentException"/> otherwise) and are escaped into the backend's key
/// space, so any such name is safe.
/// </remarks>
public sealed class LatchkeyDistributedLockProvider : IDistributedLockProvider, IDistributedReaderWriterLockProvider, IDistributedSemaphoreProvider
{
    private readonly LockOptions? _options;

    /// <summary>Bridges <paramref name="provider"/>; every primitive it creates uses <paramref name="options"/>.</summary>
    /// <param name="provider">The Latchkey provider.</param>
    /// <param name="options">Options of every lock, reader-writer lock and semaphore; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">The options are invalid.</exception>
    public LatchkeyDistributedLockProvider(ILockProvider provider, LockOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        options?.Validate();
        Provider = provider;
        _options = options;
    }

    /// <summary>The Latchkey provider this bridges.</summary>
    public ILockProvider Provider { get; }

    /// <summary>Creates a mutual-exclusion lock named <paramref name="name"/>. Cheap: nothing is sent until an acquire.</summary>
    /// <param name="name">Any text of 1–1,024 UTF-8 bytes without control characters.</param>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public LatchkeyDistributedLock CreateLock(string name) => new(Provider.CreateLock(name, _options));

    /// <summary>Creates a reader-writer lock named <paramref name="name"/>.</summary>
    /// <inheritdoc cref="CreateLock" path="/param"/>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public LatchkeyDistributedReaderWriterLock CreateReaderWriterLock(string name) => new(Provider.CreateReaderWriterLock(name, _options));

    /// <summary>Creates a semaphore named <paramref name="name"/> that admits <paramref name="maxCount"/> holders at once.</summary>
    /// <param name="name">Any text of 1–1,024 UTF-8 bytes without control characters.</param>
    /// <param name="maxCount">How many holders at once; at least 1. Every user of the name must pass the same count.</param>
    /// <exception cref="ArgumentException">The name or the count is invalid.</exception>
    public LatchkeyDistributedSemaphore CreateSemaphore(string name, int maxCount) => new(Provider.CreateSemaphore(name, maxCount, _options));

    Medallion.Threading.IDistributedLock IDistributedLockProvider.CreateLock(string name) => CreateLock(name);

    Medallion.Threading.IDistributedReaderWriterLock IDistributedReaderWriterLockProvider.CreateReaderWriterLock(string name) => CreateReaderWriterLock(name);

    Medallion.Threading.IDistributedSemaphore IDistributedSemaphoreProvider.CreateSemaphore(string name, int maxCount) => CreateSemaphore(name, maxCount);
}
