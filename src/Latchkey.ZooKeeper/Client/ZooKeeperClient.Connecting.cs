using System.Net.Sockets;
using Latchkey.Backend;

namespace Latchkey.ZooKeeper.Client;

// The session over connections: the first connect, reconnecting to the next host while the session lives, and
// the loss clock that ends the session once no server has confirmed it for longer than it could live.
internal sealed partial class ZooKeeperClient
{
    private long _lastZxid;
    private int _hostIndex;
    private ITimer? _lossTimer;

    // When the session may have expired on the server: set by the first handshake, confirmed by every reply.
    private LeaseClock? _lease;

    internal void OnReply(long zxid, long sentAt)
    {
        if (zxid > 0)
        {
            InterlockedMax(ref _lastZxid, zxid);
        }

        Volatile.Read(ref _lease)?.Confirm(sentAt);
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
        var refusedCertificates = 0;
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

                // A certificate every host refused will be refused again: say so now, not at the connect timeout.
                refusedCertificates = ex is ZooKeeperTlsException { CertificateRefused: true } ? refusedCertificates + 1 : 0;
                if (refusedCertificates >= _options.Hosts.Count)
                {
                    throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, ex.Message, innerException: ex);
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

    /// <summary>
    /// Whether the session may have expired on the server, read on the clock now (no timer needs to have run);
    /// past its deadline the session is ended on the spot, as the loss timer would.
    /// </summary>
    internal bool CheckSessionExpired()
    {
        if (SessionEnded.IsCancellationRequested)
        {
            return true;
        }

        if (Volatile.Read(ref _lease) is not { IsExpired: true })
        {
            return false;
        }

        OnLossTimer();
        return true;
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
}
