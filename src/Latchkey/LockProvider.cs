using Microsoft.Extensions.Logging;
using Latchkey.Backend;
using Latchkey.Internal;

namespace Latchkey;

/// <summary>
/// The entry point: <see cref="Connect"/> turns a connection string into a provider, and a provider
/// creates locks, reader-writer locks, semaphores and elections on its backend.
/// </summary>
public sealed class LockProvider : ILockProvider, IDisposable
{
    private readonly LockProviderOptions _options;
    private readonly ILogger _logger;
    private int _disposed;

    /// <summary>Creates a provider over a backend. Most code calls <see cref="Connect"/> instead.</summary>
    public LockProvider(LockBackend backend, LockProviderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
        _options = options ?? new LockProviderOptions();
        _logger = _options.LoggerFactory.CreateLogger("Latchkey");
        Reentrancy = new ReentrancyTable();
    }

    /// <summary>The backend this provider drives.</summary>
    internal LockBackend Backend { get; }

    /// <inheritdoc/>
    public LockProviderCapabilities Capabilities => Backend.Capabilities;

    internal TimeProvider TimeProvider => _options.TimeProvider;

    internal ILogger Logger => _logger;

    internal bool RecordLockNamesInMetrics => _options.RecordLockNamesInMetrics;

    internal ReentrancyTable Reentrancy { get; }

    /// <summary>
    /// Creates a provider from a connection string: <c>memory://</c>, <c>file:///dir</c>,
    /// <c>etcd://host:2379</c>, <c>redis://host:6379</c>, <c>zk://host:2181/chroot</c>. Does no I/O:
    /// the backend connects at the first use or at <see cref="ILockProvider.ConnectAsync"/>.
    /// </summary>
    /// <exception cref="FormatException">The connection string is malformed, or no backend serves its scheme.</exception>
    public static ILockProvider Connect(string connectionString, LockProviderOptions? options = null)
    {
        var parsed = LockConnectionString.Parse(connectionString);
        options ??= new LockProviderOptions();
        var factory = BackendRegistry.Find(parsed.Scheme);
        return new LockProvider(factory.Create(parsed, options), options);
    }

    /// <summary>Registers a backend for a scheme, replacing any earlier one (for backends outside the <c>Latchkey.*</c> assemblies).</summary>
    public static void RegisterBackend(string scheme, ILockBackendFactory factory) => BackendRegistry.Register(scheme, factory);

    /// <inheritdoc/>
    public IDistributedLock CreateLock(string name, LockOptions? options = null) =>
        new DistributedLock(this, Prepare(name, options));

    /// <inheritdoc/>
    public IDistributedReaderWriterLock CreateReaderWriterLock(string name, LockOptions? options = null) =>
        new DistributedReaderWriterLock(this, Prepare(name, options));

    /// <inheritdoc/>
    public IDistributedSemaphore CreateSemaphore(string name, int permits, LockOptions? options = null)
    {
        if (permits < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(permits), permits, $"A semaphore needs at least 1 permit; got {permits}.");
        }

        return new DistributedSemaphore(this, Prepare(name, options), permits);
    }

    /// <inheritdoc/>
    public ILeaderElection CreateElection(string name, LockOptions? options = null) =>
        new LeaderElection(this, Prepare(name, options));

    /// <inheritdoc/>
    public ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, CancellationToken cancellationToken = default)
    {
        LockName.Validate(name);
        ThrowIfDisposed();
        return Backend.GetStatusAsync(kind, name, LockName.Escape(name), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Backend.ConnectAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await Backend.DisposeAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Disposing never throws: what held locks remain free themselves by lease or TTL.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LatchkeyLog.ProviderDisposeFailed(_logger, Capabilities.Backend, ex);
        }
        finally
        {
            Backend.DisposeInstruments();
        }
    }

    /// <summary>
    /// For containers that dispose synchronously (<c>using var services = …</c>): starts the same disposal as
    /// <see cref="DisposeAsync"/> and returns without waiting for it (no blocking on network calls). Locks
    /// still held are released in the background, or free themselves by lease or TTL if the process exits
    /// first. Prefer <see cref="DisposeAsync"/>. Never throws.
    /// </summary>
    public void Dispose() => _ = DisposeAsync().AsTask();

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private PrimitiveSpec Prepare(string name, LockOptions? options)
    {
        LockName.Validate(name);
        options ??= DefaultOptions;
        options.Validate();
        Backend.ValidateOptions(options);
        ThrowIfDisposed();
        return new PrimitiveSpec(name, LockName.Escape(name), options);
    }

    private static readonly LockOptions DefaultOptions = new();
}
