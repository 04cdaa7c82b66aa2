using System.Net;
using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>
/// One Redis server: one multiplexed connection, the scripts loaded on it, and one subscription per
/// channel shared by every local listener.
/// </summary>
internal sealed class RedisNode : IAsyncDisposable
{
    private readonly ConfigurationOptions _configuration;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    /// <summary>How many channels without listeners stay subscribed, so that the next waiter of a busy lock need not subscribe again.</summary>
    private const int MaxIdleChannels = 256;

    private readonly Dictionary<string, ChannelEntry> _channels = new(StringComparer.Ordinal);
    private readonly LinkedList<ChannelEntry> _idle = new();
    private readonly TimeProvider _time;
    private readonly IConnectionMultiplexer? _given;
    private IConnectionMultiplexer? _connection;
    private (LockBackendUnavailableException Error, long At)? _lastFailure;
    private IDatabase? _database;
    private bool _disposed;

    /// <summary>After a failed connect, calls fail at once with the same error for this long instead of each waiting out a connect timeout.</summary>
    public static readonly TimeSpan ConnectBackoff = TimeSpan.FromSeconds(1);

    private const int SubscribeAttempts = 10;
    private static readonly TimeSpan SubscribeRetryDelay = TimeSpan.FromMilliseconds(50);

    public RedisNode(RedisLockSettings settings, LockEndpoint endpoint, TimeProvider time)
    {
        _time = time;
        Endpoint = endpoint with { Port = endpoint.PortOr(RedisLockSettings.DefaultPort) };
        _configuration = new ConfigurationOptions
        {
            EndPoints = { IPAddress.TryParse(Endpoint.Host, out var ip) ? new IPEndPoint(ip, Endpoint.Port!.Value) : new DnsEndPoint(Endpoint.Host, Endpoint.Port!.Value) },
            User = settings.User,
            Password = settings.Password,
            Ssl = settings.Tls,
            DefaultDatabase = settings.Database,
            ConnectTimeout = (int)settings.ConnectTimeout.TotalMilliseconds,
            SyncTimeout = (int)settings.CommandTimeout.TotalMilliseconds,
            AsyncTimeout = (int)settings.CommandTimeout.TotalMilliseconds,

            // Fail the first connect fast with a clear error; once connected, the multiplexer reconnects by itself.
            AbortOnConnectFail = true,

            // While a server is down, fail commands at once instead of queuing them until the timeout: a Redlock
            // majority must not wait for a dead master, and a single Redis reports the outage promptly.
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectRetry = 1,

            // StackExchange.Redis's default back-off between reconnects grows to seconds: after a partition heals, a
            // client that was cut off would stay out that long. A lock client must come back at once.
            ReconnectRetryPolicy = new LinearRetry(250),
            ClientName = "latchkey",
        };
    }

    /// <summary>One Redis reached through a multiplexer the application made and owns: used as it is, never disposed here.</summary>
    public RedisNode(RedisLockSettings settings, IConnectionMultiplexer multiplexer, TimeProvider time)
        : this(settings, settings.Endpoints[0], time)
    {
        _given = multiplexer;
    }

    public LockEndpoint Endpoint { get; }

    /// <summary>Whether the server is a Redis Cluster, where one script may only touch keys of one slot (known once connected).</summary>
    public bool IsCluster { get; private set; }

    /// <summary>Connects (once; again after a failed attempt) and loads the scripts.</summary>
    /// <exception cref="LockAuthenticationException">The server refused the credentials.</exception>
    /// <exception cref="LockBackendUnavailableException">The server cannot be reached or is not Redis.</exception>
    public async ValueTask<IDatabase> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _database) is { } database)
        {
            return database;
        }

        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_database is not null)
            {
                return _database;
            }

            if (_lastFailure is { } failure && _time.GetElapsedTime(failure.At) < ConnectBackoff)
            {
                throw failure.Error is LockAuthenticationException
                    ? new LockAuthenticationException(failure.Error.Message, failure.Error)
                    : new LockBackendUnavailableException(failure.Error.Message, failure.Error);
            }

            IConnectionMultiplexer connection;
            try
            {
                connection = _given ?? await ConnectionMultiplexer.ConnectAsync(_configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisConnectionException ex)
            {
                var error = Translate(ex);
                _lastFailure = (error, _time.GetTimestamp());
                throw error;
            }

            try
            {
                foreach (var script in RedisScripts.All)
                {
                    await LoadEverywhereAsync(connection, script).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (_given is null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }

                throw Translate(ex);
            }

            _connection = connection;
            IsCluster = connection.GetServers().Any(s => s.ServerType == ServerType.Cluster);
            Volatile.Write(ref _database, connection.GetDatabase());
            return _database!;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Runs a script call by <c>EVALSHA</c>; loads the script again if the server lost it (restart, <c>SCRIPT FLUSH</c>).</summary>
    /// <exception cref="LockBackendUnavailableException">The server did not answer or refused.</exception>
    public Task<RedisResult> EvaluateAsync(ScriptCall call)
    {
        var (keys, values) = call.ToArrays();
        return EvaluateAsync(call.Script, keys, values);
    }

    /// <summary>Runs a script with KEYS and ARGV already in position (a batch, whose layout repeats per op).</summary>
    /// <exception cref="LockBackendUnavailableException">The server did not answer or refused.</exception>
    public async Task<RedisResult> EvaluateAsync(RedisScript script, RedisKey[] keys, RedisValue[] values)
    {
        var database = await ConnectAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            try
            {
                return await database.ScriptEvaluateAsync(script.Hash, keys, values).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                await LoadEverywhereAsync(_connection!, script).ConfigureAwait(false);
                return await database.ScriptEvaluateAsync(script.Hash, keys, values).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Translate(ex);
        }
    }

    /// <summary>
    /// Adds a listener to a channel, subscribing on first use; returns once the server confirmed the
    /// subscription, so a message published after this returns reaches the listener.
    /// </summary>
    public async ValueTask<IDisposable> ListenAsync(RedisChannel channel, Action<RedisValue> listener)
    {
        // StackExchange.Redis runs subscriptions on a connection of their own, which can still be coming up when the
        // interactive one is ready (seen in CI: "No connection is active/available to service this operation:
        // SUBSCRIBE"). That fails at once, so try again a few times, briefly, before calling the server unavailable.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ListenOnceAsync(channel, listener).ConfigureAwait(false);
            }
            catch (LockBackendUnavailableException ex) when (ex.InnerException is RedisConnectionException && attempt < SubscribeAttempts)
            {
                await Task.Delay(SubscribeRetryDelay, _time).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask<IDisposable> ListenOnceAsync(RedisChannel channel, Action<RedisValue> listener)
    {
        await ConnectAsync(CancellationToken.None).ConfigureAwait(false);
        ChannelEntry entry;
        var key = channel.ToString();
        lock (_channels)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_channels.TryGetValue(key, out entry!))
            {
                entry = new ChannelEntry(this, key, channel);
                _channels.Add(key, entry);
                entry.Subscribed = _connection!.GetSubscriber().SubscribeAsync(channel, entry.Dispatch);
            }

            AddListener(entry, listener);
        }

        var registration = new Registration(entry, listener);
        try
        {
            await entry.Subscribed.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            registration.Dispose();
            throw Translate(ex);
        }

        return registration;
    }

    /// <summary>Whether the channel is subscribed (and confirmed), so a listener can be added without a round trip.</summary>
    public bool IsListening(string channel)
    {
        lock (_channels)
        {
            return !_disposed && _channels.TryGetValue(channel, out var entry) && entry.Subscribed.IsCompletedSuccessfully;
        }
    }

    /// <summary>
    /// Adds a listener without a round trip if the channel is already subscribed (and confirmed); returns
    /// <see langword="null"/> otherwise.
    /// </summary>
    public IDisposable? TryListenNow(RedisChannel channel, Action<RedisValue> listener)
    {
        lock (_channels)
        {
            if (_disposed || !_channels.TryGetValue(channel.ToString(), out var entry) || !entry.Subscribed.IsCompletedSuccessfully)
            {
                return null;
            }

            AddListener(entry, listener);
            return new Registration(entry, listener);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connectGate.WaitAsync().ConfigureAwait(false);
        try
        {
            ChannelEntry[] subscribed;
            lock (_channels)
            {
                _disposed = true;
                subscribed = [.. _channels.Values.Where(c => c.Subscribed.IsCompletedSuccessfully)];
                _channels.Clear();
                _idle.Clear();
            }

            if (_connection is not null && _given is null)
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
            }
            else if (_connection is not null)
            {
                // The application's multiplexer stays open: only this provider's subscriptions end.
                foreach (var channel in subscribed)
                {
                    await _connection.GetSubscriber().UnsubscribeAsync(channel.Channel, channel.Dispatch).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    internal IConnectionMultiplexer? Connection => _connection;

    /// <summary>Loads a script on every server of the connection (one, unless it is a Redis Cluster, where a key's slot picks the server).</summary>
    private static async Task LoadEverywhereAsync(IConnectionMultiplexer connection, RedisScript script)
    {
        foreach (var endpoint in connection.GetEndPoints())
        {
            var server = connection.GetServer(endpoint);
            if (server.IsConnected && !server.IsReplica)
            {
                await server.ScriptLoadAsync(script.Text).ConfigureAwait(false);
            }
        }
    }

    private void AddListener(ChannelEntry entry, Action<RedisValue> listener)
    {
        if (entry.IdleNode is not null)
        {
            _idle.Remove(entry.IdleNode);
            entry.IdleNode = null;
        }

        entry.Listeners.Add(listener);
    }

    private void Remove(ChannelEntry entry, Action<RedisValue> listener)
    {
        ChannelEntry? evicted = null;
        lock (_channels)
        {
            entry.Listeners.Remove(listener);
            if (entry.Listeners.Count > 0 || _disposed || !_channels.ContainsKey(entry.Key))
            {
                return;
            }

            if (!entry.Subscribed.IsCompletedSuccessfully)
            {
                // A failed subscription is not kept: the next listener subscribes afresh.
                _channels.Remove(entry.Key);
                return;
            }

            // Keep the channel subscribed for a while: locks that are busy now are likely to be busy again.
            entry.IdleNode = _idle.AddLast(entry);
            if (_idle.Count > MaxIdleChannels)
            {
                evicted = _idle.First!.Value;
                _idle.RemoveFirst();
                evicted.IdleNode = null;
                _channels.Remove(evicted.Key);
            }
        }

        if (evicted is not null)
        {
            // Commands on one connection run in order, so a later subscribe of this channel follows this unsubscribe.
            _ = _connection!.GetSubscriber().UnsubscribeAsync(evicted.Channel, evicted.Dispatch, CommandFlags.FireAndForget);
        }
    }

    private LockBackendUnavailableException Translate(Exception ex)
    {
        var text = ex.ToString();
        if ((ex is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure })
            || text.Contains("WRONGPASS", StringComparison.Ordinal) || text.Contains("NOAUTH", StringComparison.Ordinal)
            || text.Contains("invalid password", StringComparison.OrdinalIgnoreCase) || text.Contains("invalid username-password", StringComparison.OrdinalIgnoreCase))
        {
            return new LockAuthenticationException($"Redis at {Endpoint} refused the credentials of the connection string: {ex.Message}", ex);
        }

        return new LockBackendUnavailableException($"Redis at {Endpoint} is unavailable: {ex.Message}", ex);
    }

    private sealed class ChannelEntry(RedisNode node, string key, RedisChannel channel)
    {
        public string Key { get; } = key;

        public RedisChannel Channel { get; } = channel;

        public RedisNode Node { get; } = node;

        public List<Action<RedisValue>> Listeners { get; } = [];

        public Task Subscribed { get; set; } = Task.CompletedTask;

        public LinkedListNode<ChannelEntry>? IdleNode { get; set; }

        public void Dispatch(RedisChannel channel, RedisValue message)
        {
            Action<RedisValue>[] listeners;
            lock (Node._channels)
            {
                listeners = [.. Listeners];
            }

            foreach (var listener in listeners)
            {
                listener(message);
            }
        }
    }

    private sealed class Registration(ChannelEntry entry, Action<RedisValue> listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                entry.Node.Remove(entry, listener);
            }
        }
    }
}
