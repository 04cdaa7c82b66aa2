using Latchkey.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Latchkey.ZooKeeper;

/// <summary>
/// The provider's one ZooKeeper session: opened on first use, replaced by a new one once it has ended (its
/// locks went with it), its state changes logged. Connect failures become the core's exceptions.
/// </summary>
internal sealed class ZooKeeperSessions : IAsyncDisposable
{
    private readonly ZooKeeperClientOptions _options;
    private readonly string _display;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private ZooKeeperClient? _client;
    private int _disposed;

    public ZooKeeperSessions(ZooKeeperClientOptions options, string display, ILogger logger)
    {
        _options = options;
        _display = display;
        _logger = logger;
    }

    /// <summary>The connection string, for messages.</summary>
    public string Display => _display;

    /// <summary>The current session's client, if one was opened (for tests).</summary>
    public ZooKeeperClient? Current => Volatile.Read(ref _client);

    /// <summary>The live session, opening a new one if there is none or the last one ended.</summary>
    /// <exception cref="LockBackendUnavailableException">No server answered within the connect timeout, or the chroot is missing.</exception>
    /// <exception cref="LockAuthenticationException">The server refused the credentials.</exception>
    public async ValueTask<ZooKeeperClient> GetAsync(CancellationToken cancellationToken)
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

            var fresh = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _disposed) != 0)
            {
                await fresh.DisposeAsync().ConfigureAwait(false);
                throw new ObjectDisposedException(nameof(ZooKeeperSessions));
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

    /// <summary>Closes the session: the server deletes its nodes at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var client = Interlocked.Exchange(ref _client, null);
        if (client is not null)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<ZooKeeperClient> ConnectAsync(CancellationToken cancellationToken)
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
}
