using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Google.Protobuf;
using Latchkey.Backend;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd;

/// <summary>
/// The etcd backend of one provider: one client (one HTTP/2 connection to the current member), one lease
/// kept alive on one stream, one watch stream for every wait, and the create-revision queue (<see cref="EtcdQueue"/>).
/// </summary>
internal sealed class EtcdLockBackend : LockBackend
{
    private static readonly LockProviderCapabilities EtcdCapabilities = new()
    {
        Backend = "etcd",
        Fair = true,
        HerdFree = true,
        DurableFencingTokens = true,
        CrossMachine = true,
        CrossProcess = true,
        Leases = true,
    };

    private long _waitsWatching;
    private long _waitsFollowing;
    private long _keyWatchesMade;
    private int _disposed;

    public EtcdLockBackend(EtcdSettings settings, LockProviderOptions options)
    {
        Settings = settings;
        Logger = options.LoggerFactory.CreateLogger("Latchkey.Etcd");
        Client = new EtcdClient(settings, Logger);
        Watches = new EtcdWatchStream(Client, options.TimeProvider, Logger);
        Batcher = new EtcdBatcher(Client, Instruments);
        Leases = new EtcdLeaseKeeper(Client, settings, options.TimeProvider, Logger);
        Keys = new EtcdKeyspace(settings.Prefix, settings.MutexLayout);
    }

    public override LockProviderCapabilities Capabilities => EtcdCapabilities;

    public EtcdSettings Settings { get; }

    public ILogger Logger { get; }

    public EtcdClient Client { get; }

    public EtcdWatchStream Watches { get; }

    /// <summary>Batches exclusive acquisitions' entries and releases' deletes that callers ask for together.</summary>
    public EtcdBatcher Batcher { get; }

    public EtcdLeaseKeeper Leases { get; }

    public EtcdKeyspace Keys { get; }

    /// <summary>A waiter was woken because its turn may have come (the herd test counts these on the meter).</summary>
    public void CountWakeUp() => Instruments.WaiterWokenUp();

    /// <summary>A waiter read the queue because the key ahead of its predecessor went away (see <see cref="EtcdQueue"/>).</summary>
    public void CountLookAhead() => Instruments.WaiterLookedAhead();

    /// <summary>How many waits for an exclusive turn got as far as watching, their watches started and checked (for tests).</summary>
    public long WaitsWatching => Interlocked.Read(ref _waitsWatching);

    public void CountWaitWatching() => Interlocked.Increment(ref _waitsWatching);

    /// <summary>How many watches of our own keys' deletions were made, rather than kept ones reused (for tests).</summary>
    public long KeyWatchesMade => Interlocked.Read(ref _keyWatchesMade);

    public void CountKeyWatchMade() => Interlocked.Increment(ref _keyWatchesMade);

    /// <summary>How many waits followed a predecessor of this provider rather than watching etcd (for tests).</summary>
    public long WaitsFollowing => Interlocked.Read(ref _waitsFollowing);

    public void CountWaitFollowing() => Interlocked.Increment(ref _waitsFollowing);

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await Leases.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return EtcdQueue.AcquireAsync(this, request, cancellationToken);
    }

    /// <summary>
    /// Accepts any TTL: the lease is the provider's, so the connection string's <c>ttl=</c> applies to every
    /// lock of the provider (a per-lock TTL cannot change a shared lease). Rejecting a mismatch would reject
    /// every lock created with the default options whenever <c>ttl=</c> is set.
    /// </summary>
    public override void ValidateOptions(LockOptions options)
    {
    }

    public override async ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var prefix = Keys.NamePrefix(kind, escapedName);
        var key = ByteString.CopyFromUtf8(prefix);
        var response = await Client.RangeAsync(
            new RangeRequest
            {
                Key = key,
                RangeEnd = EtcdKeyspace.RangeEnd(key),
                SortTarget = RangeRequest.Types.SortTarget.Create,
                SortOrder = RangeRequest.Types.SortOrder.Ascend,
            },
            cancellationToken).ConfigureAwait(false);
        return StatusOf(kind, name, prefix.Length, response.Kvs);
    }

    public override async IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var key = ByteString.CopyFromUtf8(Keys.NamePrefix(kind, escapedName));
        var watch = Watches.Watch(key, EtcdKeyspace.RangeEnd(key), 0, deletesOnly: false, (_, _) => changed.Writer.TryWrite(true));
        try
        {
            await watch.Created.WaitAsync(cancellationToken).ConfigureAwait(false);
            while (true)
            {
                yield return await GetStatusAsync(kind, name, escapedName, cancellationToken).ConfigureAwait(false);
                await changed.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Watches.Cancel(watch);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Leases.DisposeAsync().ConfigureAwait(false);
        await Watches.DisposeAsync().ConfigureAwait(false);
        Client.Dispose();
    }

    /// <summary>Holders and waiters by the queue's rules, oldest first.</summary>
    internal static LockStatus StatusOf(LockKind kind, string name, int prefixLength, IReadOnlyList<KeyValue> keys)
    {
        var permits = 1;
        if (kind == LockKind.Semaphore && keys.Count > 0 && int.TryParse(keys[0].Value.ToStringUtf8(), NumberStyles.None, CultureInfo.InvariantCulture, out var stored) && stored > 0)
        {
            permits = stored;
        }

        var holders = new List<LockParticipant>();
        var waiters = new List<LockParticipant>();
        var seenAny = false;
        var seenWriter = false;
        for (var i = 0; i < keys.Count; i++)
        {
            var kv = keys[i];
            var id = kv.Key.ToStringUtf8()[prefixLength..];
            var access = kind == LockKind.ReaderWriter && id.StartsWith("r/", StringComparison.Ordinal) ? LockAccess.Shared : LockAccess.Exclusive;
            var holds = kind switch
            {
                LockKind.ReaderWriter => access == LockAccess.Shared ? !seenWriter : !seenAny,
                LockKind.Semaphore => i < permits,
                _ => i == 0,
            };
            var participant = new LockParticipant(id, access, kv.CreateRevision, kind == LockKind.Election ? kv.Value.ToStringUtf8() : null);
            (holds ? holders : waiters).Add(participant);
            seenAny = true;
            seenWriter |= access == LockAccess.Exclusive;
        }

        return new LockStatus(kind, name, holders, waiters);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
