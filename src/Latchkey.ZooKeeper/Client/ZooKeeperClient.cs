namespace Latchkey.ZooKeeper.Client;

/// <summary>
/// A small managed ZooKeeper client: one session over one socket at a time, requests pipelined, pings at a
/// third of the session timeout, reconnection to any host of the list within the session timeout (keeping
/// the session and re-registering watches), and errors that carry ZooKeeper's codes. Its parts, by concern:
/// requests (<c>ZooKeeperClient.Requests.cs</c>), watches (<c>.Watches.cs</c>), the session over connections
/// (<c>.Connecting.cs</c>); this file holds its state, opening and closing.
/// </summary>
/// <remarks>
/// Watchers are one-shot, as in ZooKeeper. They run one at a time on the client's event loop, in the order
/// the server sent the events; a watcher must not block. When the session ends every registered watcher gets
/// one <see cref="WatchedEventType.None"/> event with the final state. A cancellation token passed to an
/// operation only stops the wait: a request already sent may still be applied.
/// </remarks>
internal sealed partial class ZooKeeperClient : IAsyncDisposable
{
    private readonly ZooKeeperClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
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
}
