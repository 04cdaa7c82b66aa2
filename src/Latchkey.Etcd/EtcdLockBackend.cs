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
/// kept alive on one stream (<see cref="EtcdLeaseKeeper"/>), one watch stream for every wait, and the create-revision
/// queue (<see cref="EtcdQueue"/>) with the optimizations that its settings leave on (<see cref="EtcdOptimizations"/>).
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

    private readonly EtcdQueue _queue;
    private int _disposed;

    public EtcdLockBackend(EtcdSettings settings, LockProviderOptions options)
    {
        var on = settings.Optimizations;
        Settings = settings;
        Logger = options.LoggerFactory.CreateLogger("Latchkey.Etcd");
        Client = new EtcdClient(settings, Logger);
        Watches = new EtcdWatchStream(Client, options.TimeProvider, Logger);
        Leases = new EtcdLeaseKeeper(Client, settings, options.TimeProvider, Logger);
        Keys = new EtcdKeyspace(settings.Prefix, settings.MutexLayout);
        var parts = new EtcdParts(
            Client,
            Watches,
            Leases,
            Keys,
            new EtcdKeyNumbers(reuse: on.HasFlag(EtcdOptimizations.KeyReuse), keepWatches: on.HasFlag(EtcdOptimizations.KeptWatches)),
            on.HasFlag(EtcdOptimizations.Batching) ? new EtcdBatcher(Client, Instruments) : null,
            Instruments,
            Counters,
            Logger);
        var reader = new EtcdQueueReader(Client, Keys);
        var secondWatch = on.HasFlag(EtcdOptimizations.SecondWatch) ? new EtcdSecondWatch(Watches) : null;
        _queue = new EtcdQueue(
            parts,
            new EtcdEntry(Client, Keys, reader, parts.Batcher),
            reader,
            on.HasFlag(EtcdOptimizations.Following) ? new EtcdFollowing(reader, parts) : null,
            on.HasFlag(EtcdOptimizations.LookAhead) ? new EtcdLookAhead(reader, parts, secondWatch) : null,
            secondWatch);
        KeyNumbers = parts.Numbers;
    }

    public override LockProviderCapabilities Capabilities => EtcdCapabilities;

    public EtcdSettings Settings { get; }

    public ILogger Logger { get; }

    public EtcdClient Client { get; }

    public EtcdWatchStream Watches { get; }

    public EtcdLeaseKeeper Leases { get; }

    public EtcdKeyspace Keys { get; }

    /// <summary>The numbers of the keys in use (for tests).</summary>
    public EtcdKeyNumbers KeyNumbers { get; }

    /// <summary>What the etcd tests count of the queue's waits.</summary>
    public EtcdCounters Counters { get; } = new();

    /// <summary>The queue, for tests that drive its steps.</summary>
    internal EtcdQueue Queue => _queue;

    /// <summary>How many waits for an exclusive turn got as far as watching (for tests).</summary>
    public long WaitsWatching => Counters.WaitsWatching;

    /// <summary>How many watches of our own keys' deletions were made, rather than kept ones reused (for tests).</summary>
    public long KeyWatchesMade => Counters.KeyWatchesMade;

    /// <summary>How many waits followed a predecessor of this provider rather than watching etcd (for tests).</summary>
    public long WaitsFollowing => Counters.WaitsFollowing;

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await Leases.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return _queue.AcquireAsync(request, cancellationToken);
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

    /// <summary>Holders and waiters by the core's queue rule (<see cref="QueueDecision.HolderCount"/>), oldest first.</summary>
    internal static LockStatus StatusOf(LockKind kind, string name, int prefixLength, IReadOnlyList<KeyValue> keys)
    {
        var permits = 1;
        if (kind == LockKind.Semaphore && keys.Count > 0 && int.TryParse(keys[0].Value.ToStringUtf8(), NumberStyles.None, CultureInfo.InvariantCulture, out var stored) && stored > 0)
        {
            permits = stored;
        }

        var participants = keys.Select(kv =>
        {
            var id = kv.Key.ToStringUtf8()[prefixLength..];
            var access = kind == LockKind.ReaderWriter && id.StartsWith("r/", StringComparison.Ordinal) ? LockAccess.Shared : LockAccess.Exclusive;
            return new LockParticipant(id, access, kv.CreateRevision, kind == LockKind.Election ? kv.Value.ToStringUtf8() : null);
        }).ToList();
        var holders = QueueDecision.HolderCount(participants.Select(p => new Entry(p.Access)).ToList(), kind, permits);
        return new LockStatus(kind, name, participants[..holders], participants[holders..]);
    }

    private readonly record struct Entry(LockAccess Access) : IQueueEntry;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
