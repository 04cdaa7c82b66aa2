using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>
/// A TCP proxy on 127.0.0.1 that holds every byte for a fixed <see cref="Delay"/> in each direction before
/// passing it on, as a slow or congested link would: a round trip through it takes at least twice the delay.
/// </summary>
internal sealed class DelayingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly List<TcpClient> _connections = [];

    public DelayingProxy(IPEndPoint upstream, TimeSpan delay)
    {
        _upstream = upstream;
        Delay = delay;
        _listener.Start();
        _pumps.Add(AcceptLoopAsync());
    }

    /// <summary>How long each byte is held, each way.</summary>
    public TimeSpan Delay { get; }

    /// <summary>The address clients should connect to, as host:port.</summary>
    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
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

    // Reads as fast as bytes come and stamps them; a second loop writes each chunk once its delay has passed,
    // so the delay is per byte (a latency), not per chunk added up.
    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var held = Channel.CreateUnbounded<(long ReceivedAt, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = WriteDelayedAsync(held.Reader, to);
        var buffer = new byte[16 * 1024];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
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

    private async Task WriteDelayedAsync(ChannelReader<(long ReceivedAt, byte[] Bytes)> held, NetworkStream to)
    {
        try
        {
            await foreach (var (receivedAt, bytes) in held.ReadAllAsync(_stop.Token))
            {
                var wait = Delay - TimeProvider.System.GetElapsedTime(receivedAt);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _stop.Token);
                }

                await to.WriteAsync(bytes, _stop.Token);
            }

            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }
}
