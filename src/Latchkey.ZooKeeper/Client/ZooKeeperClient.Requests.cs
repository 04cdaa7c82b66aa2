namespace Latchkey.ZooKeeper.Client;

// The client's requests: each one a frame sent on the current connection, and a decoder for its reply.
internal sealed partial class ZooKeeperClient
{
    /// <summary>Creates a node; the reply carries its final path and its <see cref="ZooKeeperStat"/> (so its czxid).</summary>
    public Task<ZooKeeperCreateResult> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<ZooKeeperAcl>? acl = null, CancellationToken cancellationToken = default)
    {
        var sequential = mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential;
        var serverPath = ToServerPath(path, sequential);
        var opCode = mode == CreateMode.Container ? OpCode.CreateContainer : OpCode.Create2;
        var frame = BeginRequest(opCode);
        ZooKeeperCodec.WriteCreate(frame, serverPath, data.Span, acl ?? _options.DefaultAcl, mode);
        return SendAsync(frame, (int error, ref JuteReader r) =>
        {
            ThrowIfError(error, path);
            var created = ToClientPath(ZooKeeperCodec.ReadPath(ref r));
            return new ZooKeeperCreateResult(created, r.ReadStat());
        }, cancellationToken);
    }

    /// <summary>Deletes a node if its version matches (-1: any).</summary>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        var frame = BeginRequest(OpCode.Delete);
        ZooKeeperCodec.WritePathVersion(frame, ToServerPath(path), version);
        return SendAsync(frame, (int error, ref JuteReader r) =>
        {
            ThrowIfError(error, path);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Returns the node's stat, or <see langword="null"/> if it does not exist. With a watcher: a data watch if
    /// it exists, else a watch for its creation.
    /// </summary>
    public Task<ZooKeeperStat?> ExistsAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        var frame = BeginRequest(OpCode.Exists);
        ZooKeeperCodec.WritePathWatch(frame, ToServerPath(path), watcher is not null);
        return SendAsync(frame, watcher is null ? null : path, (int error, ref JuteReader r) =>
        {
            if (error == (int)ZooKeeperErrorCode.NoNode)
            {
                Watch(WatchKind.Exist, path, watcher);
                return null;
            }

            ThrowIfError(error, path);
            var stat = r.ReadStat();
            Watch(WatchKind.Data, path, watcher);
            return (ZooKeeperStat?)stat;
        }, cancellationToken);
    }

    /// <summary>Reads a node's data and stat; with a watcher, a data watch (fires on change or delete).</summary>
    /// <exception cref="ZooKeeperException">The node does not exist (no watch is left).</exception>
    public Task<ZooKeeperDataResult> GetDataAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        var frame = BeginRequest(OpCode.GetData);
        ZooKeeperCodec.WritePathWatch(frame, ToServerPath(path), watcher is not null);
        return SendAsync(frame, watcher is null ? null : path, (int error, ref JuteReader r) =>
        {
            ThrowIfError(error, path);
            var data = r.ReadBuffer() ?? [];
            var stat = r.ReadStat();
            Watch(WatchKind.Data, path, watcher);
            return new ZooKeeperDataResult(data, stat);
        }, cancellationToken);
    }

    /// <summary>Sets a node's data if its version matches (-1: any); returns the new stat.</summary>
    public Task<ZooKeeperStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken cancellationToken = default)
    {
        var frame = BeginRequest(OpCode.SetData);
        ZooKeeperCodec.WriteSetData(frame, ToServerPath(path), data.Span, version);
        return SendAsync(frame, (int error, ref JuteReader r) =>
        {
            ThrowIfError(error, path);
            return r.ReadStat();
        }, cancellationToken);
    }

    /// <summary>Lists a node's children (getChildren2, with the parent's stat); with a watcher, a child watch.</summary>
    public Task<ZooKeeperChildrenResult> GetChildrenAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        var frame = BeginRequest(OpCode.GetChildren2);
        ZooKeeperCodec.WritePathWatch(frame, ToServerPath(path), watcher is not null);
        return SendAsync(frame, watcher is null ? null : path, (int error, ref JuteReader r) =>
        {
            ThrowIfError(error, path);
            var children = r.ReadStringVector();
            var stat = r.ReadStat();
            Watch(WatchKind.Child, path, watcher);
            return new ZooKeeperChildrenResult(children, stat);
        }, cancellationToken);
    }

    private static void ThrowIfError(int error, string path)
    {
        if (error != 0)
        {
            throw ZooKeeperException.FromCode((ZooKeeperErrorCode)error, path);
        }
    }

    private static JuteWriter BeginRequest(int opCode)
    {
        var writer = new JuteWriter(128);
        writer.BeginFrame();
        ZooKeeperCodec.WriteHeader(writer, 0, opCode);
        return writer;
    }

    private Task<T> SendAsync<T>(JuteWriter frame, ReplyDecoder<T> decoder, CancellationToken cancellationToken) =>
        SendAsync(frame, watchPath: null, decoder, cancellationToken);

    private async Task<T> SendAsync<T>(JuteWriter frame, string? watchPath, ReplyDecoder<T> decoder, CancellationToken cancellationToken)
    {
        frame.EndFrame(0);
        while (true)
        {
            var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (watchPath is null)
            {
                var pending = new PendingRequest<T>(decoder);
                if (connection.TrySend(frame, pending))
                {
                    return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            // A request that may set a watch is counted until its reply registered the watcher, so that a
            // removeWatches for the same path is never sent while the server may still be setting one.
            var watching = new PendingRequest<T>(decoder, () => _watches.EndPending(watchPath));
            bool sent;
            lock (_watchSend)
            {
                _watches.BeginPending(watchPath);
                sent = connection.TrySend(frame, watching);
                if (!sent)
                {
                    _watches.EndPending(watchPath);
                }
            }

            if (sent)
            {
                return await watching.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private string ToServerPath(string path, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (ZooKeeperPath.Validate(path, sequential) is { } error)
        {
            throw new ArgumentException($"Invalid ZooKeeper path '{path}': {error}", nameof(path));
        }

        return _chroot is null ? path : path == "/" ? _chroot : _chroot + path;
    }

    private string ToClientPath(string serverPath)
    {
        if (_chroot is null)
        {
            return serverPath;
        }

        if (serverPath == _chroot)
        {
            return "/";
        }

        return serverPath.StartsWith(_chroot, StringComparison.Ordinal) && serverPath.Length > _chroot.Length && serverPath[_chroot.Length] == '/'
            ? serverPath[_chroot.Length..]
            : serverPath;
    }
}
