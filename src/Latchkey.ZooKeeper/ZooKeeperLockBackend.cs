using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Latchkey.Backend;
using Latchkey.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Latchkey.ZooKeeper;

/// <summary>
/// Locks on ZooKeeper, one session per provider. Every primitive is a queue of ephemeral-sequential nodes
/// under <c>/latchkey/{kind}/{escaped name}</c>; a node holds by its place in the queue
/// (<see cref="QueueDecision"/>) and otherwise watches exactly one thing. The fencing token is the
/// node's czxid, the ensemble's transaction id, which only grows.
/// </summary>
internal sealed class ZooKeeperLockBackend : LockBackend
{
    public const string RootPath = "/latchkey";
    public const string LockTag = "lock";
    public const string ReadTag = "read";
    public const string WriteTag = "write";
    public const string SemaphoreTag = "sem";
    public const string CandidateTag = "cand";

    private const int MaxSessionRetries = 3;
    private const int MaxConnectionLosses = 100;

    private static readonly LockProviderCapabilities ZooKeeperCapabilities = new()
    {
        Backend = "zk",
        Fair = true,
        HerdFree = true,
        DurableFencingTokens = true,
        CrossMachine = true,
        CrossProcess = true,
        Leases = true,
    };

    private readonly ZooKeeperClientOptions _options;
    private readonly string _display;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly ConcurrentDictionary<ZooKeeperLockAcquisition, byte> _held = new();
    private ZooKeeperClient? _client;
    private int _disposed;

    public ZooKeeperLockBackend(ZooKeeperClientOptions options, string display, ILogger logger)
    {
        _options = options;
        _display = display;
        _logger = logger;
    }

    public override LockProviderCapabilities Capabilities => ZooKeeperCapabilities;

    /// <summary>How many times a watch woke a waiting acquire (the herd tests count them).</summary>

    /// <summary>The current session's client, if connected (for tests).</summary>
    internal ZooKeeperClient? CurrentClient => Volatile.Read(ref _client);

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken) =>
        await GetClientAsync(cancellationToken).ConfigureAwait(false);

    public override async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        for (var attempt = 0; ; attempt++)
        {
            var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await AcquireOnSessionAsync(client, request, cancellationToken).ConfigureAwait(false);
            }
            catch (QueueNodeVanishedException) when (attempt + 1 < MaxSessionRetries)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                // Our node went with the session: queue again on a new one, unless the provider is closing.
                if (Volatile.Read(ref _disposed) != 0)
                {
                    throw new ObjectDisposedException(nameof(ZooKeeperLockBackend), ex);
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (attempt + 1 >= MaxSessionRetries)
                {
                    throw new LockBackendUnavailableException($"ZooKeeper session ended {MaxSessionRetries} times while acquiring '{request.Name}' on {_display}: {ex.Message}", ex);
                }
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoAuth)
            {
                throw new LockAuthenticationException($"ZooKeeper refused access to '{ex.Path}' on {_display}: the credentials of the connection string lack the permission (the nodes were made by another identity).", ex);
            }
            catch (ZooKeeperException ex) when (ex.Code is not ZooKeeperErrorCode.NoNode and not ZooKeeperErrorCode.NodeExists)
            {
                throw new LockBackendUnavailableException($"ZooKeeper error while acquiring '{request.Name}' on {_display}: {ex.Message}", ex);
            }
        }
    }

    public override async ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken)
    {
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        return await ReadStatusAsync(client, kind, name, escapedName, watcher: null, cancellationToken).ConfigureAwait(false);
    }

    public override async IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Action<WatchedEvent> watcher = _ => changed.TrySetResult();
            var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
            LockStatus status;
            try
            {
                status = await ReadStatusAsync(client, kind, name, escapedName, watcher, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.SessionExpired or ZooKeeperErrorCode.ConnectionLoss)
            {
                continue; // Read again on the reconnected (or new) session.
            }

            yield return status;
            try
            {
                await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    await ForgetWatcherAsync(client, ParentPath(kind, escapedName), watcher, status).ConfigureAwait(false);
                }
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Closing the session deletes every node it holds at once; the leases are released, not lost.
        foreach (var lease in _held.Keys)
        {
            lease.MarkReleased();
        }

        var client = Interlocked.Exchange(ref _client, null);
        if (client is not null)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal static string ParentPath(LockKind kind, string escapedName) => kind switch
    {
        LockKind.Lock => $"{RootPath}/lock/{escapedName}",
        LockKind.ReaderWriter => $"{RootPath}/rw/{escapedName}",
        LockKind.Semaphore => $"{RootPath}/semaphore/{escapedName}",
        _ => $"{RootPath}/election/{escapedName}",
    };

    internal void Untrack(ZooKeeperLockAcquisition lease) => _held.TryRemove(lease, out _);

    /// <summary>
    /// Deletes our node until it is gone. True once it is gone (or died with a session the server confirmed
    /// over); false if the session was given up without confirmation, so the node may live until it expires.
    /// </summary>
    internal static async Task<bool> DeleteOwnNodeAsync(ZooKeeperClient client, string path)
    {
        while (true)
        {
            try
            {
                await client.DeleteAsync(path).ConfigureAwait(false);
                return true;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return true;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
            {
                // Unknown whether it was applied: the next attempt waits for the reconnect and finds out.
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                return client.SessionEndConfirmed;
            }
        }
    }

    private static string Tag(LockRequest request) => request.Kind switch
    {
        LockKind.Lock => LockTag,
        LockKind.ReaderWriter => request.Access == LockAccess.Shared ? ReadTag : WriteTag,
        LockKind.Semaphore => $"{SemaphoreTag}-p{request.Permits}",
        _ => CandidateTag,
    };

    private async Task<LockAcquisition?> AcquireOnSessionAsync(ZooKeeperClient client, LockRequest request, CancellationToken cancellationToken)
    {
        var parent = ParentPath(request.Kind, request.EscapedName);
        var guid = Guid.NewGuid().ToString("N");
        var data = request.Value is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(request.Value);
        var (path, czxid, children) = await CreateNodeAsync(client, parent, $"{parent}/{Tag(request)}-{guid}-", guid, data).ConfigureAwait(false);
        var name = path[(parent.Length + 1)..];
        var losses = 0;
        try
        {
            while (true)
            {
                try
                {
                    children ??= await ListAsync(client, parent).ConfigureAwait(false);
                    var queue = ZooKeeperQueueEntry.ParseAll(children);
                    children = null;
                    var me = queue.FindIndex(e => e.Name == name);
                    if (me < 0)
                    {
                        // Deleted by someone else while we queued (an operator, say): queue again.
                        throw new QueueNodeVanishedException(path);
                    }

                    var decision = QueueDecision.For(queue, me, request.Access, request.Permits);
                    if (decision.Holds)
                    {
                        if (request.Permits > 1 && me + 1 < queue.Count)
                        {
                            // Tell a semaphore waiter that may be watching us as a waiter that we were promoted.
                            await client.SetDataAsync(path, data, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                        }

                        return Hold(client, path, czxid);
                    }

                    if (!request.Wait)
                    {
                        await DeleteOwnNodeAsync(client, path).ConfigureAwait(false);
                        return null;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    var wake = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    Action<WatchedEvent> watcher = e => wake.TrySetResult(e.Type == WatchedEventType.NodeDeleted);
                    string watched;
                    if (decision.WatchAll)
                    {
                        watched = parent;
                        var listing = await client.GetChildrenAsync(parent, watcher, CancellationToken.None).ConfigureAwait(false);
                        var fresh = ZooKeeperQueueEntry.ParseAll(listing.Children);
                        var at = fresh.FindIndex(e => e.Name == name);
                        if (at < 0 || QueueDecision.For(fresh, at, request.Access, request.Permits) != decision)
                        {
                            await client.RemoveWatcherAsync(parent, watcher, CancellationToken.None).ConfigureAwait(false);
                            children = listing.Children;
                            continue;
                        }
                    }
                    else
                    {
                        watched = $"{parent}/{queue[decision.WatchIndex].Name}";
                        try
                        {
                            var predecessor = await client.GetDataAsync(watched, watcher, CancellationToken.None).ConfigureAwait(false);
                            if (request.Permits > 1 && predecessor.Stat.Version > 0)
                            {
                                // The semaphore waiter ahead of us was already promoted: look again.
                                await client.RemoveWatcherAsync(watched, watcher, CancellationToken.None).ConfigureAwait(false);
                                continue;
                            }
                        }
                        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
                        {
                            continue; // Gone before we could watch it: look again (no watch was left).
                        }
                    }

                    bool watchedDeleted;
                    try
                    {
                        watchedDeleted = await wake.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // No stray watch: drop the server's watch on the predecessor too, unless another waiter of ours needs it.
                        await client.RemoveWatcherAsync(watched, watcher, CancellationToken.None).ConfigureAwait(false);
                        throw;
                    }

                    Instruments.WaiterWokenUp();
                    if (watchedDeleted && request.Permits == 1 && decision.WatchIndex == 0)
                    {
                        // The node we waited for was the head of the queue and is gone. Sequence numbers only
                        // grow, so nothing can come before us now: we hold, without listing the children again
                        // (hand-off costs the releaser's delete and this one event). If our own node went
                        // meanwhile, the lease's watch of it fires Lost at once.
                        return Hold(client, path, czxid);
                    }
                }
                catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss && ++losses < MaxConnectionLosses)
                {
                    // Reads and watches are safe to repeat once reconnected; our node lives on with the session.
                    children = null;
                }
            }
        }
        catch
        {
            // Withdraw: a cancelled, timed-out or failed acquire leaves nothing behind.
            await DeleteOwnNodeAsync(client, path).ConfigureAwait(false);
            throw;
        }
    }

    private ZooKeeperLockAcquisition Hold(ZooKeeperClient client, string path, long czxid)
    {
        var lease = new ZooKeeperLockAcquisition(this, client, path, czxid);
        _held.TryAdd(lease, 0);
        lease.WatchOwnNode();
        return lease;
    }

    /// <summary>
    /// Creates our ephemeral-sequential node, with the children listing pipelined right behind it (ZooKeeper
    /// answers a session in order, so the listing includes our node). Creates the parents if missing. If the
    /// reply to the create is lost with the connection, finds the node again by its GUID instead of leaking it.
    /// </summary>
    private static async Task<(string Path, long Czxid, IReadOnlyList<string>? Children)> CreateNodeAsync(
        ZooKeeperClient client, string parent, string prefix, string guid, ReadOnlyMemory<byte> data)
    {
        for (var attempt = 0; ; attempt++)
        {
            var create = client.CreateAsync(prefix, data, CreateMode.EphemeralSequential);
            var list = client.GetChildrenAsync(parent);
            try
            {
                var created = await create.ConfigureAwait(false);
                IReadOnlyList<string>? children = null;
                try
                {
                    children = (await list.ConfigureAwait(false)).Children;
                }
                catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
                {
                    // Listed again by the caller.
                }

                return (created.Path, created.Stat.Czxid, children);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode && attempt < 5)
            {
                await ObserveAsync(list).ConfigureAwait(false);
                await EnsureParentsAsync(client, parent).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss && attempt < 20)
            {
                await ObserveAsync(list).ConfigureAwait(false);
                if (await FindOwnNodeAsync(client, parent, guid).ConfigureAwait(false) is { } found)
                {
                    return (found.Path, found.Czxid, null);
                }
            }
        }
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (ZooKeeperException)
        {
            // Its outcome was already handled through the request it rode behind.
        }
    }

    private static async Task<(string Path, long Czxid)?> FindOwnNodeAsync(ZooKeeperClient client, string parent, string guid)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                var children = await client.GetChildrenAsync(parent).ConfigureAwait(false);
                var mine = children.Children.FirstOrDefault(c => c.Contains(guid, StringComparison.Ordinal));
                if (mine is null)
                {
                    return null;
                }

                var path = $"{parent}/{mine}";
                var stat = await client.ExistsAsync(path).ConfigureAwait(false);
                if (stat is null)
                {
                    return null;
                }

                if (stat.EphemeralOwner != client.SessionId)
                {
                    // Made by an earlier session of ours that is gone: never adopt it.
                    await DeleteOwnNodeAsync(client, path).ConfigureAwait(false);
                    return null;
                }

                return (path, stat.Czxid);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return null;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
            {
                // Try again once reconnected.
            }
        }

        throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"Could not find out whether our node under {parent} was created: the connection kept failing.");
    }

    private static async Task EnsureParentsAsync(ZooKeeperClient client, string parent)
    {
        // Pipelined, top down; "already exists" is success. The lock's own directory is a container, so
        // the server removes it once its last node goes, and names used once do not pile up.
        var kindDirectory = parent[..parent.LastIndexOf('/')];
        // The shared directories stay open to every identity; only a lock's own directory and nodes take the
        // session's default ACL (creator-only when the connection string has credentials).
        var creates = new[]
        {
            client.CreateAsync(RootPath, default, CreateMode.Persistent, ZooKeeperAcl.OpenUnsafe),
            client.CreateAsync(kindDirectory, default, CreateMode.Persistent, ZooKeeperAcl.OpenUnsafe),
            client.CreateAsync(parent, default, CreateMode.Container),
        };
        foreach (var create in creates)
        {
            try
            {
                await create.ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
            {
            }
        }
    }

    private static async Task<IReadOnlyList<string>> ListAsync(ZooKeeperClient client, string parent)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await client.GetChildrenAsync(parent).ConfigureAwait(false)).Children;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss && attempt < 20)
            {
                // A read is safe to repeat once reconnected.
            }
        }
    }

    private static async Task<LockStatus> ReadStatusAsync(ZooKeeperClient client, LockKind kind, string name, string escapedName, Action<WatchedEvent>? watcher, CancellationToken cancellationToken)
    {
        var parent = ParentPath(kind, escapedName);
        ZooKeeperChildrenResult listing;
        try
        {
            listing = await client.GetChildrenAsync(parent, watcher, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            if (watcher is not null && await client.ExistsAsync(parent, watcher, cancellationToken).ConfigureAwait(false) is not null)
            {
                return await ReadStatusAsync(client, kind, name, escapedName, watcher, cancellationToken).ConfigureAwait(false);
            }

            return new LockStatus(kind, name, [], []);
        }

        var queue = ZooKeeperQueueEntry.ParseAll(listing.Children);
        var holderCount = QueueDecision.HolderCount(queue, kind, queue.Count > 0 ? queue[0].Permits : 1);

        // Pipelined reads of the holders' data and stat: the value (elections) and the fencing token (czxid).
        var reads = queue.Take(holderCount).Select(e => client.GetDataAsync($"{parent}/{e.Name}", kind == LockKind.Election ? watcher : null, cancellationToken)).ToList();
        var holders = new List<LockParticipant>(holderCount);
        for (var i = 0; i < reads.Count; i++)
        {
            try
            {
                var read = await reads[i].ConfigureAwait(false);
                var value = kind == LockKind.Election ? Encoding.UTF8.GetString(read.Data) : null;
                holders.Add(new LockParticipant(queue[i].Name, queue[i].Access, read.Stat.Czxid, value, DateTimeOffset.FromUnixTimeMilliseconds(read.Stat.Ctime)));
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                // Released between the listing and the read; the children watch reports the change.
            }
        }

        var waiters = queue.Skip(holderCount).Select(e => new LockParticipant(e.Name, e.Access, e.Sequence)).ToList();
        return new LockStatus(kind, name, holders, waiters);
    }

    private static async Task ForgetWatcherAsync(ZooKeeperClient client, string parent, Action<WatchedEvent> watcher, LockStatus status)
    {
        await client.RemoveWatcherAsync(parent, watcher, CancellationToken.None).ConfigureAwait(false);
        foreach (var holder in status.Holders)
        {
            await client.RemoveWatcherAsync($"{parent}/{holder.Id}", watcher, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private void LogState(ZooKeeperClient client, ZooKeeperSessionState state)
    {
        switch (state)
        {
            case ZooKeeperSessionState.Disconnected:
                _logger.LogWarning("ZooKeeper session 0x{SessionId:x} disconnected; reconnecting within its {Timeout} ms", client.SessionId, client.SessionTimeout.TotalMilliseconds);
                break;
            case ZooKeeperSessionState.Connected:
                _logger.LogInformation("ZooKeeper session 0x{SessionId:x} connected to {Server}", client.SessionId, client.ConnectedServer);
                break;
            case ZooKeeperSessionState.Expired or ZooKeeperSessionState.AuthFailed:
                _logger.LogError("ZooKeeper session 0x{SessionId:x} is over ({State}); its locks are lost and the next acquire opens a new session", client.SessionId, state);
                break;
            default:
                _logger.LogDebug("ZooKeeper session 0x{SessionId:x}: {State}", client.SessionId, state);
                break;
        }
    }

    private async ValueTask<ZooKeeperClient> GetClientAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var client = Volatile.Read(ref _client);
        if (client is not null && !client.SessionEnded.IsCancellationRequested)
        {
            return client;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            client = Volatile.Read(ref _client);
            if (client is not null && !client.SessionEnded.IsCancellationRequested)
            {
                return client;
            }

            var fresh = await ConnectClientAsync(cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _disposed) != 0)
            {
                await fresh.DisposeAsync().ConfigureAwait(false);
                throw new ObjectDisposedException(nameof(ZooKeeperLockBackend));
            }

            Volatile.Write(ref _client, fresh);
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            return fresh;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<ZooKeeperClient> ConnectClientAsync(CancellationToken cancellationToken)
    {
        ZooKeeperClient client;
        try
        {
            client = await ZooKeeperClient.ConnectAsync(_options, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.AuthFailed)
        {
            throw new LockAuthenticationException($"ZooKeeper at {_display} refused the credentials: {ex.Message}", ex);
        }
        catch (ZooKeeperException ex)
        {
            throw new LockBackendUnavailableException($"Cannot connect to ZooKeeper at {_display}: {ex.Message}", ex);
        }

        client.StateChanged += (_, state) => LogState(client, state);
        _logger.LogInformation("ZooKeeper session 0x{SessionId:x} opened on {Server} ({Timeout} ms)", client.SessionId, client.ConnectedServer, client.SessionTimeout.TotalMilliseconds);
        if (_options.Chroot is { } chroot)
        {
            ZooKeeperStat? root;
            try
            {
                root = await client.ExistsAsync("/", cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex)
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw new LockBackendUnavailableException($"Cannot check the chroot '{chroot}' on ZooKeeper at {_display}: {ex.Message}", ex);
            }

            if (root is null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw new LockBackendUnavailableException($"ZooKeeper chroot '{chroot}' of {_display} does not exist. Create it first (zkCli.sh create {chroot}) or remove it from the connection string.");
            }
        }

        return client;
    }
}
