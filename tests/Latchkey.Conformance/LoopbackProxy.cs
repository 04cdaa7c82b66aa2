using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Latchkey.Conformance;

/// <summary>
/// A TCP proxy on 127.0.0.1 that a test puts between a client and its server, to simulate a
/// partition: <see cref="Blackhole"/> stops forwarding in both directions without closing anything
/// (packets vanish, as on a cut link), <see cref="Reset"/> resets every connection and refuses new ones
/// (a link whose peer is gone), <see cref="Heal"/> resumes. Made with a latency, it holds every byte that long
/// in each direction before passing it on, as a slow or congested link would.
/// </summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly List<TcpClient> _connections = [];
    private TaskCompletionSource _open = NewOpenGate(open: true);
    private readonly TimeSpan _latency;
    private bool _refusing;

    /// <summary>A proxy to <paramref name="upstream"/> that holds each byte for <paramref name="latency"/> each way (none by default).</summary>
    public LoopbackProxy(IPEndPoint upstream, TimeSpan latency = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        _latency = latency;
        if (!IPAddress.IsLoopback(upstream.Address))
        {
            throw new ArgumentException($"The proxy only forwards to loopback; got {upstream}.", nameof(upstream));
        }

        _upstream = upstream;
        _listener.Start();
        _pumps.Add(AcceptLoopAsync());
    }

    /// <summary>The address clients should connect to, as host:port.</summary>
    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Stops forwarding: nothing passes either way until <see cref="Heal"/>.</summary>
    public void Blackhole()
    {
        lock (_connections)
        {
            if (_open.Task.IsCompleted)
            {
                _open = NewOpenGate(open: false);
            }
        }
    }

    /// <summary>Resets every connection (TCP RST both ways) and resets new ones at once, until <see cref="Heal"/>.</summary>
    public void Reset()
    {
        lock (_connections)
        {
            _refusing = true;
            foreach (var connection in _connections)
            {
                Abort(connection);
            }

            _connections.Clear();
        }
    }

    /// <summary>Resumes forwarding and accepting.</summary>
    public void Heal()
    {
        lock (_connections)
        {
            _refusing = false;
            _open.TrySetResult();
        }
    }

    public static IPEndPoint ParseHostPort(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        return new IPEndPoint(IPAddress.Parse(hostPort[..colon]), int.Parse(hostPort[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Heal();
        _listener.Stop();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }

        try
        {
            await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or TimeoutException)
        {
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource NewOpenGate(bool open)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            gate.SetResult();
        }

        return gate;
    }

    private Task OpenGate()
    {
        lock (_connections)
        {
            return _open.Task;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_connections)
            {
                if (_refusing)
                {
                    Abort(client);
                    continue;
                }
            }

            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_upstream, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(server);
                _pumps.Add(PumpAsync(client.GetStream(), server.GetStream()));
                _pumps.Add(PumpAsync(server.GetStream(), client.GetStream()));
            }
        }
    }

    private static void Abort(TcpClient connection)
    {
        try
        {
            connection.Client.LingerState = new LingerOption(true, 0); // close with RST, as a vanished peer's host answers
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        connection.Dispose();
    }

    private Task PumpAsync(NetworkStream from, NetworkStream to) =>
        _latency > TimeSpan.Zero ? PumpLateAsync(from, to) : PumpNowAsync(from, to);

    private async Task PumpNowAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await OpenGate().WaitAsync(_stop.Token);
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    to.Socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                // Bytes read just before a blackhole are held back, not delivered.
                await OpenGate().WaitAsync(_stop.Token);
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    // Reads as fast as bytes come and stamps them; a second loop writes each chunk once its latency has passed,
    // so the delay is per byte (a latency), not per chunk added up.
    private async Task PumpLateAsync(NetworkStream from, NetworkStream to)
    {
        var held = Channel.CreateUnbounded<(long ReceivedAt, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = WriteLateAsync(held.Reader, to);
        var buffer = new byte[16 * 1024];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await OpenGate().WaitAsync(_stop.Token);
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                held.Writer.TryWrite((TimeProvider.System.GetTimestamp(), buffer[..read]));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }

        held.Writer.TryComplete();
        await writer;
    }

    private async Task WriteLateAsync(ChannelReader<(long ReceivedAt, byte[] Bytes)> held, NetworkStream to)
    {
        try
        {
            await foreach (var (receivedAt, bytes) in held.ReadAllAsync(_stop.Token))
            {
                var wait = _latency - TimeProvider.System.GetElapsedTime(receivedAt);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _stop.Token);
                }

                await OpenGate().WaitAsync(_stop.Token);
                await to.WriteAsync(bytes, _stop.Token);
            }

            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }
}
