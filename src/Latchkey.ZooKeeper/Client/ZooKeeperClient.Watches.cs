using System.Threading.Channels;

namespace Latchkey.ZooKeeper.Client;

// Watches: the local table of one-shot watchers, their removal on the server (removeWatches), their
// re-registration on a new connection (setWatches), and the event loop that delivers them in order.
internal sealed partial class ZooKeeperClient
{
    private const int SetWatchesChunkBytes = 128 * 1024;
    private const int WatcherTypeChildren = 1;
    private const int WatcherTypeData = 2;

    // Orders watch-setting requests and removeWatches on the wire against the local watch table.
    private readonly Lock _watchSend = new();
    private readonly WatchTable _watches = new();
    private readonly Channel<EventItem> _events = Channel.CreateUnbounded<EventItem>(new UnboundedChannelOptions { SingleReader = true });
    private long _serverWatchRemovals;

    /// <summary>Forgets a watcher locally, so it is not called (the server may still send the event).</summary>
    public bool ForgetWatcher(string path, Action<WatchedEvent> watcher) => _watches.Remove(path, watcher);

    /// <summary>
    /// Forgets a watcher, and when no other watcher of this session needs the server's watch on that path,
    /// removes that too (removeWatches), so no stray watch is left. False if the watcher was not registered.
    /// </summary>
    public async Task<bool> RemoveWatcherAsync(string path, Action<WatchedEvent> watcher, CancellationToken cancellationToken = default)
    {
        var serverPath = ToServerPath(path);
        var replies = new List<Task<bool>>(2);
        lock (_watchSend)
        {
            if (!_watches.Remove(path, watcher, out var dataUnused, out var childUnused))
            {
                return false;
            }

            // While disconnected there is nothing to send: the reconnect's setWatches leaves this watch out.
            if (Volatile.Read(ref _connection) is { } connection)
            {
                if (dataUnused)
                {
                    replies.Add(SendRemoveWatchesAsync(connection, serverPath, WatcherTypeData));
                }

                if (childUnused)
                {
                    replies.Add(SendRemoveWatchesAsync(connection, serverPath, WatcherTypeChildren));
                }
            }
        }

        foreach (var reply in replies)
        {
            try
            {
                if (await reply.WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _serverWatchRemovals);
                }
            }
            catch (ZooKeeperException)
            {
                // Connection lost meanwhile: the server's watch goes with the connection's setWatches.
            }
        }

        return true;
    }

    internal int WatchCount => _watches.Count;

    /// <summary>How many server-side watches removeWatches removed (for tests).</summary>
    internal long ServerWatchRemovals => Interlocked.Read(ref _serverWatchRemovals);

    internal void OnWatchEvent(WatchedEventType type, int state, string serverPath)
    {
        var path = ToClientPath(serverPath);
        var fired = _watches.Take(type, path);
        if (fired.Count > 0)
        {
            _events.Writer.TryWrite(new EventItem(fired, new WatchedEvent(type, ZooKeeperSessionState.Connected, path), null));
        }
    }

    // Under _watchSend. True when the server removed a watch; NoWatcher (already fired or never set) is false.
    private static Task<bool> SendRemoveWatchesAsync(ZooKeeperConnection connection, string serverPath, int type)
    {
        var frame = BeginRequest(OpCode.RemoveWatches);
        frame.WriteString(serverPath);
        frame.WriteInt(type);
        frame.EndFrame(0);
        var pending = new PendingRequest<bool>((int error, ref JuteReader _) => error switch
        {
            0 => true,
            (int)ZooKeeperErrorCode.NoWatcher => false,
            _ => throw ZooKeeperException.FromCode((ZooKeeperErrorCode)error, serverPath),
        });
        return connection.TrySend(frame, pending) ? pending.Task : Task.FromResult(false);
    }

    private void Watch(WatchKind kind, string path, Action<WatchedEvent>? watcher)
    {
        if (watcher is not null)
        {
            _watches.Add(kind, path, watcher);
        }
    }

    private void SendSetWatches(ZooKeeperConnection connection, List<string> data, List<string> exist, List<string> child)
    {
        // The server takes setWatches in packets of bounded size; split the lists so each stays small.
        var relativeZxid = Volatile.Read(ref _lastZxid);
        var lists = new[] { data, exist, child }.Select(l => l.Select(p => ToServerPath(p)).ToList()).ToArray();
        var index = new int[3];
        while (index[0] < lists[0].Count || index[1] < lists[1].Count || index[2] < lists[2].Count)
        {
            var budget = SetWatchesChunkBytes;
            var parts = new List<string>[3];
            for (var k = 0; k < 3; k++)
            {
                parts[k] = [];
                while (index[k] < lists[k].Count && (budget > 0 || parts.All(p => p is null || p.Count == 0)))
                {
                    var path = lists[k][index[k]++];
                    parts[k].Add(path);
                    budget -= path.Length * 3 + 4;
                }
            }

            var frame = new JuteWriter();
            frame.BeginFrame();
            ZooKeeperCodec.WriteHeader(frame, Xid.SetWatches, OpCode.SetWatches);
            ZooKeeperCodec.WriteSetWatches(frame, relativeZxid, parts[0], parts[1], parts[2]);
            frame.EndFrame(0);
            connection.TrySend(frame, new InternalRequest(), Xid.SetWatches);
        }
    }

    private async Task EventLoopAsync()
    {
        await foreach (var item in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (item.Watchers is not null && item.Event is not null)
            {
                foreach (var watcher in item.Watchers)
                {
                    try
                    {
                        watcher(item.Event);
                    }
#pragma warning disable CA1031 // A watcher's failure must not stop the delivery of every later event.
                    catch (Exception)
#pragma warning restore CA1031
                    {
                    }
                }
            }

            if (item.State is { } state)
            {
                try
                {
                    StateChanged?.Invoke(this, state);
                }
#pragma warning disable CA1031 // Same: a handler's failure must not stop the event loop.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }

    private sealed record EventItem(List<Action<WatchedEvent>>? Watchers, WatchedEvent? Event, ZooKeeperSessionState? State);
}
