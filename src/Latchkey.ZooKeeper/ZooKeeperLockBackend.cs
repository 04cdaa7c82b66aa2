using System.Text;
using Latchkey.Backend;
using Latchkey.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Latchkey.ZooKeeper;

/// <summary>
/// Locks on ZooKeeper, one session per provider (<see cref="ZooKeeperSessions"/>). Every primitive is a queue of
/// ephemeral-sequential nodes under <c>/latchkey/{kind}/{escaped name}</c>, or where Curator keeps its locks
/// (<see cref="ZooKeeperLayout"/>); a
/// node holds by its place in the queue (<see cref="QueueDecision"/>) and otherwise watches exactly one thing.
/// The fencing token is the node's czxid, the ensemble's transaction id, which only grows.
/// </summary>
/// <remarks>
/// The acquire, top to bottom in this file: create our node with the listing pipelined behind it; decide by the
/// core's queue rule; hold, or watch the one node (or the children) the rule names and wait for its event; look
/// again. A give-up deletes our node before returning. Status and watching status are in
/// <see cref="ZooKeeperLockStatus"/>.
/// </remarks>
internal sealed class ZooKeeperLockBackend : LockBackend
{
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

    private readonly ZooKeeperSessions _sessions;
    private readonly ZooKeeperLayout _layout;
    private readonly ZooKeeperHeldAcquisitions _held = new();
    private int _disposed;

    public ZooKeeperLockBackend(ZooKeeperClientOptions options, ZooKeeperLayout layout, string display, ILogger logger)
    {
        _layout = layout;
        _sessions = new ZooKeeperSessions(options, display, logger);
    }

    public override LockProviderCapabilities Capabilities => ZooKeeperCapabilities;

    /// <summary>The current session's client, if connected (for tests).</summary>
    internal ZooKeeperClient? CurrentClient => _sessions.Current;

    public override async ValueTask ConnectAsync(CancellationToken cancellationToken) =>
        await _sessions.GetAsync(cancellationToken).ConfigureAwait(false);

    public override async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        for (var attempt = 0; ; attempt++)
        {
            var client = await _sessions.GetAsync(cancellationToken).ConfigureAwait(false);
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
                    throw new LockBackendUnavailableException($"ZooKeeper session ended {MaxSessionRetries} times while acquiring '{request.Name}' on {_sessions.Display}: {ex.Message}", ex);
                }
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoAuth)
            {
                throw new LockAuthenticationException($"ZooKeeper refused access to '{ex.Path}' on {_sessions.Display}: the credentials of the connection string lack the permission (the nodes were made by another identity).", ex);
            }
            catch (ZooKeeperException ex) when (ex.Code is not ZooKeeperErrorCode.NoNode and not ZooKeeperErrorCode.NodeExists)
            {
                throw new LockBackendUnavailableException($"ZooKeeper error while acquiring '{request.Name}' on {_sessions.Display}: {ex.Message}", ex);
            }
        }
    }

    public override async ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken)
    {
        var client = await _sessions.GetAsync(cancellationToken).ConfigureAwait(false);
        return await ZooKeeperLockStatus.ReadAsync(client, _layout, kind, name, escapedName, watcher: null, cancellationToken).ConfigureAwait(false);
    }

    public override IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
        ZooKeeperLockStatus.WatchAsync(_sessions, _layout, kind, name, escapedName, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Closing the session deletes every node it holds at once; the locks are released, not lost.
        _held.MarkAllReleased();
        await _sessions.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<LockAcquisition?> AcquireOnSessionAsync(ZooKeeperClient client, LockRequest request, CancellationToken cancellationToken)
    {
        var parent = _layout.ParentPath(request.Kind, request.EscapedName);
        var guid = Guid.NewGuid();
        var data = request.Value is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(request.Value);
        var (path, czxid, children) = await ZooKeeperQueueNodes.CreateAsync(client, parent, _layout.NodePrefix(parent, request, guid), _layout.Marker(request.Kind, guid), data).ConfigureAwait(false);
        var name = path[(parent.Length + 1)..];
        var losses = 0;
        try
        {
            while (true)
            {
                try
                {
                    children ??= await ZooKeeperQueueNodes.ListAsync(client, parent).ConfigureAwait(false);
                    var queue = _layout.ParseQueue(request.Kind, children);
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
                        await ZooKeeperQueueNodes.DeleteOwnAsync(client, path).ConfigureAwait(false);
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
                        var fresh = _layout.ParseQueue(request.Kind, listing.Children);
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
                        // meanwhile, the acquisition's watch of it fires Lost at once.
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
            await ZooKeeperQueueNodes.DeleteOwnAsync(client, path).ConfigureAwait(false);
            throw;
        }
    }

    private ZooKeeperLockAcquisition Hold(ZooKeeperClient client, string path, long czxid)
    {
        var acquisition = new ZooKeeperLockAcquisition(_held, client, path, czxid);
        _held.Add(acquisition);
        acquisition.WatchOwnNode();
        return acquisition;
    }
}
