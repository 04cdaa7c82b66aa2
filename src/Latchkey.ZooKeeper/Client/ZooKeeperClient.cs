using System.Net.Sockets;
using System.Threading.Channels;
using Latchkey.Backend;

namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// A small managed ZooKeeper client: one session over one socket at a time, requests pipelined, pings at a
/// third of the session timeout, reconnection to any host of the list within the session timeout (keeping
/// the session and re-registering watches), and typed errors.
/// </summary>
/// <remarks>
/// Watchers are one-shot, as in ZooKeeper. They run one at a time on the client's event loop, in the order
/// the server sent the events; a watcher must not block. When the session ends every registered watcher gets
/// one <see cref="WatchedEventType.None"/> event with the final state. A cancellation token passed to an
/// operation only stops the wait: a request already sent may still be applied.
/// </remarks>
internal sealed class ZooKeeperClient : IAsyncDisposable
{
    private const int SetWatchesChunkBytes = 128 * 1024;
    private const int WatcherTypeChildren = 1;
    private const int WatcherTypeData = 2;

    private readonly ZooKeeperClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // Orders watch-setting requests and removeWatches on the wire against the local watch table.
    private readonly Lock _watchSend = new();
    private readonly WatchTable _watches = new();
    private readonly Channel<EventItem> _events = Channel.CreateUnbounded<EventItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _ended = new();
    private readonly string? _chroot;
    private ZooKeeperConnection? _connection;
    private TaskCompletionSource<ZooKeeperConnection> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ZooKeeperSessionState _state = ZooKeeperSessionState.Disconnected;
    private Exception? _endedBy;
    private bool _closing;
    private bool _endConfirmed;
    private long _sessionId;
    private byte[] _password = new byte[16];
    private long _lastZxid;
    private long _serverWatchRemovals;
    private int _hostIndex;
    private ITimer? _lossTimer;

    // When the session may have expired on the server: set by the first handshake, confirmed by every reply.
    private LeaseClock? _lease;

    private ZooKeeperClient(ZooKeeperClientOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _chroot = ZooKeeperClientOptions.NormalizeChroot(options.Chroot);
        _sessionId = options.SessionId;
        if (options.SessionPassword is { } password)
        {
            _password = password;
        }

        _hostIndex = options.Hosts.Count > 1 ? Random.Shared.Next(options.Hosts.Count) : 0;
        _ = EventLoopAsync();
    }

    /// <summary>Raised on the event loop when the session's state changes.</summary>
    public event EventHandler<ZooKeeperSessionState>? StateChanged;

    /// <summary>The session id (0 before the first connect).</summary>
    public long SessionId => Volatile.Read(ref _sessionId);

    /// <summary>The session password, to resume the session from another client (<see cref="ZooKeeperClientOptions.SessionPassword"/>).</summary>
    public ReadOnlyMemory<byte> SessionPassword => _password;

    /// <summary>The session timeout the server granted.</summary>
    public TimeSpan SessionTimeout => Volatile.Read(ref _lease)?.Ttl ?? TimeSpan.Zero;

    /// <summary>The current state.</summary>
    public ZooKeeperSessionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// Cancelled when the session is over: expired (said by the server, or no server confirmed it for longer
    /// than it could live), authentication refused, or the client closed. Ephemeral nodes are then gone or going.
    /// </summary>
    public CancellationToken SessionEnded => _ended.Token;

    /// <summary>
    /// Whether the server confirmed the end of the session (it answered that the session expired, or it
    /// acknowledged the close), so its ephemeral nodes are certainly gone. False while the session lives, and
    /// when the client gave up on it without an answer (the nodes then go when the server expires it).
    /// </summary>
    public bool SessionEndConfirmed
    {
        get
        {
            lock (_gate)
            {
                return _endConfirmed;
            }
        }
    }

    /// <summary>The chroot, or <see langword="null"/>.</summary>
    public string? Chroot => _chroot;

    /// <summary>The server currently connected to, or <see langword="null"/>.</summary>
    public string? ConnectedServer => Volatile.Read(ref _connection)?.Endpoint;

    /// <summary>Connects to the first host that answers and creates (or resumes) a session.</summary>
    /// <exception cref="ZooKeeperException">No host answered as a ZooKeeper server within <see cref="ZooKeeperClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="ZooKeeperException">A session to resume has expired.</exception>
    /// <exception cref="ZooKeeperException">The server refused the credentials.</exception>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Hosts is null || options.Hosts.Count == 0)
        {
            throw new ArgumentException("ZooKeeper client needs at least one host.", nameof(options));
        }

        if (options.SessionTimeout <= TimeSpan.Zero || options.SessionTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SessionTimeout, "Session timeout must be positive.");
        }

        var client = new ZooKeeperClient(options);
        try
        {
            await client.ConnectFirstAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            client.End(ZooKeeperSessionState.Closed, new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, "The ZooKeeper client did not connect."));
            throw;
        }
    }

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

    /// <summary>Waits until connected (returns at once if connected).</summary>
    /// <exception cref="ZooKeeperException">The session is over.</exception>
    public async Task WaitForConnectedAsync(CancellationToken cancellationToken = default) =>
        await GetConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Closes the session (its ephemeral nodes are deleted at once) and the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        ZooKeeperConnection? connection;
        lock (_gate)
        {
            if (_ended.IsCancellationRequested || _closing)
            {
                return;
            }

            _closing = true;
            connection = _connection;
        }

        if (connection is not null)
        {
            var frame = BeginRequest(OpCode.CloseSession);
            frame.EndFrame(0);
            var pending = new PendingRequest<bool>((int _, ref JuteReader _) => true);
            if (connection.TrySend(frame, pending))
            {
                var limit = TimeSpan.FromMilliseconds(Math.Min(_options.ConnectTimeout.TotalMilliseconds, 2000));
                try
                {
                    await pending.Task.WaitAsync(limit, _time).ConfigureAwait(false);
                    lock (_gate)
                    {
                        _endConfirmed = true;
                    }
                }
                catch (Exception ex) when (ex is TimeoutException or ZooKeeperException)
                {
                    // The session expires on the server by itself.
                }
            }
        }

        End(ZooKeeperSessionState.Closed, new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, "The ZooKeeper client was closed.", path: null));
    }

    /// <summary>Test hook: drops the connection as a network fault would; the client reconnects.</summary>
    internal void DropConnection() =>
        Volatile.Read(ref _connection)?.Fail(new IOException("Connection dropped on purpose."), new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, "Connection dropped on purpose."));

    internal int WatchCount => _watches.Count;

    /// <summary>How many server-side watches removeWatches removed (for tests).</summary>
    internal long ServerWatchRemovals => Interlocked.Read(ref _serverWatchRemovals);

    internal void OnReply(long zxid, long sentAt)
    {
        if (zxid > 0)
        {
            InterlockedMax(ref _lastZxid, zxid);
        }

        Volatile.Read(ref _lease)?.Confirm(sentAt);
    }

    internal void OnWatchEvent(WatchedEventType type, int state, string serverPath)
    {
        var path = ToClientPath(serverPath);
        var fired = _watches.Take(type, path);
        if (fired.Count > 0)
        {
            _events.Writer.TryWrite(new EventItem(fired, new WatchedEvent(type, ZooKeeperSessionState.Connected, path), null));
        }
    }

    internal void OnConnectionFailed(ZooKeeperConnection connection, Exception reason)
    {
        lock (_gate)
        {
            if (_connection != connection)
            {
                return;
            }

            _connection = null;
            if (_ended.IsCancellationRequested || _closing)
            {
                return;
            }

            _state = ZooKeeperSessionState.Disconnected;
            _connected = new TaskCompletionSource<ZooKeeperConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _events.Writer.TryWrite(new EventItem(null, null, ZooKeeperSessionState.Disconnected));
        _ = ReconnectLoopAsync(reason);
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

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
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

    private void Watch(WatchKind kind, string path, Action<WatchedEvent>? watcher)
    {
        if (watcher is not null)
        {
            _watches.Add(kind, path, watcher);
        }
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

    private Task<ZooKeeperConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_ended.IsCancellationRequested)
            {
                return Task.FromException<ZooKeeperConnection>(EndedException());
            }

            return _connection is { } connection ? Task.FromResult(connection) : _connected.Task.WaitAsync(cancellationToken);
        }
    }

    // A fresh exception each time, so concurrent awaiters never share (and mutate) one stack trace.
    private ZooKeeperException EndedException() => _endedBy switch
    {
        ZooKeeperException { Code: ZooKeeperErrorCode.AuthFailed } ex => new ZooKeeperException(ZooKeeperErrorCode.AuthFailed, ex.Message, innerException: ex),
        { } ex => new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, ex.Message, innerException: ex),
        null => new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, "The ZooKeeper session is over."),
    };

    private ConnectRequest MakeConnectRequest() =>
        new(0, Volatile.Read(ref _lastZxid), (int)_options.SessionTimeout.TotalMilliseconds, Volatile.Read(ref _sessionId), _password, ReadOnly: false);

    private (string Host, int Port) NextHost()
    {
        var hosts = _options.Hosts;
        var index = _hostIndex;
        _hostIndex = (index + 1) % hosts.Count;
        return hosts[index];
    }

    private async Task ConnectFirstAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        Exception? last = null;
        var attempts = 0;
        while (true)
        {
            var remaining = _options.ConnectTimeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                var hosts = string.Join(",", _options.Hosts.Select(h => $"{h.Host}:{h.Port}"));
                throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"Could not connect to ZooKeeper at {hosts} within {_options.ConnectTimeout.TotalSeconds:0.###} s: {last?.Message ?? "no answer"}", innerException: last ?? new TimeoutException());
            }

            var (host, port) = NextHost();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(remaining);
            var sentAt = _time.GetTimestamp();
            try
            {
                var connection = await OpenAsync(host, port, sentAt, attempt.Token).ConfigureAwait(false);
                Activate(connection, sentAt);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (IsConnectFailure(ex))
            {
                // Keep the most telling failure: an answer that is not ZooKeeper's says more than a later timeout.
                if (ex is not OperationCanceledException)
                {
                    last = ex;
                }
                else
                {
                    last ??= new TimeoutException($"{host}:{port} did not complete the ZooKeeper handshake in time (is it a ZooKeeper server?).");
                }
            }

            if (++attempts % _options.Hosts.Count == 0)
            {
                await DelayQuietlyAsync(TimeSpan.FromMilliseconds(Math.Min(100, Math.Max(0, remaining.TotalMilliseconds))), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Connects and shakes hands. A session is only guaranteed for its timeout less the margin after the connect
    /// request was sent; a handshake answered later than that (a slow or stalled link) may hand over a session the
    /// server has already expired, so the attempt fails as a timeout instead (issue 17).
    /// </summary>
    private async Task<ZooKeeperConnection> OpenAsync(string host, int port, long sentAt, CancellationToken cancellationToken)
    {
        var connection = await ZooKeeperConnection.OpenAsync(this, host, port, MakeConnectRequest(), _options.Auth, _options, cancellationToken).ConfigureAwait(false);
        var took = _time.GetElapsedTime(sentAt);
        var timeout = TimeSpan.FromMilliseconds(connection.Session.TimeoutMs);
        var guaranteed = LeaseClock.GuaranteedFor(timeout);
        if (took >= guaranteed)
        {
            connection.Dispose();
            throw new TimeoutException(
                $"ZooKeeper at {host}:{port} answered the handshake after {took.TotalMilliseconds:F0} ms, but a session of {timeout.TotalMilliseconds:F0} ms is only guaranteed for {guaranteed.TotalMilliseconds:F0} ms after the request; it may have expired already.");
        }

        return connection;
    }

    private static bool IsConnectFailure(Exception ex) =>
        ex is SocketException or IOException or OperationCanceledException or ZooKeeperException { Code: ZooKeeperErrorCode.MarshallingError } or EndOfStreamException or TimeoutException;

    private async Task ReconnectLoopAsync(Exception reason)
    {
        _ = reason;
        var attempts = 0;
        while (!_ended.IsCancellationRequested)
        {
            var (host, port) = NextHost();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_ended.Token);
            attempt.CancelAfter(_options.ConnectTimeout);
            var sentAt = _time.GetTimestamp();
            try
            {
                var connection = await OpenAsync(host, port, sentAt, attempt.Token).ConfigureAwait(false);
                Activate(connection, sentAt);
                return;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                lock (_gate)
                {
                    _endConfirmed = true;
                }

                End(ZooKeeperSessionState.Expired, ex);
                return;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.AuthFailed)
            {
                End(ZooKeeperSessionState.AuthFailed, ex);
                return;
            }
#pragma warning disable CA1031 // Whatever one attempt hits, try the next host; the loss timer ends the session if none answers in time.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            if (++attempts % _options.Hosts.Count == 0)
            {
                await DelayQuietlyAsync(TimeSpan.FromMilliseconds(50), _ended.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken == _ended.Token)
        {
            // Ended while waiting: the loop sees it.
        }
    }

    private void Activate(ZooKeeperConnection connection, long sentAt)
    {
        var session = connection.Session;
        TaskCompletionSource<ZooKeeperConnection>? connected = null;
        lock (_gate)
        {
            if (!_ended.IsCancellationRequested && !_closing)
            {
                connected = Publish(connection, session, sentAt);
            }
        }

        if (connected is null)
        {
            // Ended or closing meanwhile (failed outside the gate: Fail calls back into OnConnectionFailed).
            connection.Fail(new ObjectDisposedException(nameof(ZooKeeperClient)), EndedException());
            return;
        }

        var timeout = TimeSpan.FromMilliseconds(session.TimeoutMs);
        connection.Start(timeout / 3, timeout * 2 / 3);
        connected.TrySetResult(connection);
        _events.Writer.TryWrite(new EventItem(null, null, ZooKeeperSessionState.Connected));
    }

    // Called under the gate.
    private TaskCompletionSource<ZooKeeperConnection> Publish(ZooKeeperConnection connection, ConnectResponse session, long sentAt)
    {
        Volatile.Write(ref _sessionId, session.SessionId);
        _password = session.Password;
        var timeout = TimeSpan.FromMilliseconds(session.TimeoutMs);
        if (_lease is { } lease)
        {
            lease.Ttl = timeout;
            lease.Confirm(sentAt);
        }
        else
        {
            Volatile.Write(ref _lease, new LeaseClock(timeout, sentAt, _time));
        }

        // Re-register every watch before any queued request can use the connection, so no event is missed.
        var (data, exist, child) = _watches.Paths();
        if (data.Count + exist.Count + child.Count > 0)
        {
            SendSetWatches(connection, data, exist, child);
        }

        _connection = connection;
        _state = ZooKeeperSessionState.Connected;
        _lossTimer ??= _time.CreateTimer(static s => ((ZooKeeperClient)s!).OnLossTimer(), this, _lease!.DueTime(), Timeout.InfiniteTimeSpan);
        return _connected;
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

    private void OnLossTimer()
    {
        // The server touched the session no earlier than the send time of the last request it answered.
        var lease = Volatile.Read(ref _lease)!;
        if (!lease.IsExpired)
        {
            _lossTimer?.Change(lease.DueTime(), Timeout.InfiniteTimeSpan);
            return;
        }

        End(ZooKeeperSessionState.Expired, new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, 
            $"No ZooKeeper server confirmed session 0x{SessionId:x} for its timeout of {SessionTimeout.TotalMilliseconds:F0} ms; it may have expired on the server.", path: null));
    }

    private void End(ZooKeeperSessionState state, Exception reason)
    {
        ZooKeeperConnection? connection;
        TaskCompletionSource<ZooKeeperConnection> connected;
        lock (_gate)
        {
            if (_ended.IsCancellationRequested)
            {
                return;
            }

            _state = state;
            _endedBy = reason;
            connection = _connection;
            _connection = null;
            connected = _connected;
            _lossTimer?.Dispose();
            _ended.Cancel();
        }

        var error = EndedException();
        connected.TrySetException(error);
        connection?.Fail(reason, error);
        var watchers = _watches.TakeAll();
        if (watchers.Count > 0)
        {
            _events.Writer.TryWrite(new EventItem(watchers, new WatchedEvent(WatchedEventType.None, state, null), null));
        }

        _events.Writer.TryWrite(new EventItem(null, null, state));
        _events.Writer.TryComplete();
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
