using System.Collections.Concurrent;
using System.Globalization;
using Latchkey.Backend;
using Microsoft.Extensions.Logging;

namespace Latchkey.Redis;

/// <summary>What every acquire and every held acquisition of one provider shares: its servers, renewal loop and listeners.</summary>
internal sealed class RedisLockContext
{
    private long _sequence;
    private long _attempts;

    /// <param name="settings">What the connection string asked for.</param>
    /// <param name="options">The provider's options.</param>
    /// <param name="instruments">The backend's counters.</param>
    /// <param name="multiplexer">The application's own connection to its one Redis, used instead of one of our own (and not disposed here).</param>
    public RedisLockContext(RedisLockSettings settings, LockProviderOptions options, BackendInstruments instruments, StackExchange.Redis.IConnectionMultiplexer? multiplexer = null)
    {
        Settings = settings;
        Time = options.TimeProvider;
        Logger = options.LoggerFactory.CreateLogger("Latchkey.Redis");
        Instruments = instruments;
        Masters = multiplexer is not null
            ? new RedisMasters([new RedisNode(settings, multiplexer, options.TimeProvider)])
            : new RedisMasters([.. settings.Endpoints.Select(e => new RedisNode(settings, e, options.TimeProvider))]);
        WakePrefix = settings.Prefix + "wake:";
        Renewal = new RenewalLoop(Time, Logger);
        Batcher = Masters.Count == 1 ? new LockBatcher(Masters.Nodes[0], WakePrefix, instruments) : null;
        Listeners = new RedisListeners(Masters, WakePrefix + ProviderId);
    }

    public RedisLockSettings Settings { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public BackendInstruments Instruments { get; }

    public RedisMasters Masters { get; }

    /// <summary>Names this provider in owner ids and fair queue members, and addresses its wake-ups.</summary>
    public string ProviderId { get; } = Guid.NewGuid().ToString("N")[..16];

    /// <summary>Followed by a provider id: the channel that wakes that provider's fair waiters.</summary>
    public string WakePrefix { get; }

    public RenewalLoop Renewal { get; }

    /// <summary>Sends plain locks' acquires and releases, batched under load; only on a single Redis.</summary>
    public LockBatcher? Batcher { get; }

    public RedisListeners Listeners { get; }

    /// <summary>The acquisitions held now, released when the provider is disposed.</summary>
    public ConcurrentDictionary<RedisLockAcquisition, byte> Held { get; } = new();

    /// <summary>Cancelled when the provider is disposed: ends every wait.</summary>
    public CancellationTokenSource Disposed { get; } = new();

    /// <summary>How many acquire attempts have been answered (by every server asked); a test hook.</summary>
    public long Attempts => Volatile.Read(ref _attempts);

    public void CountAttempt() => Interlocked.Increment(ref _attempts);

    public string NewOwnerId() => string.Create(CultureInfo.InvariantCulture, $"{ProviderId}.{Interlocked.Increment(ref _sequence)}");
}
