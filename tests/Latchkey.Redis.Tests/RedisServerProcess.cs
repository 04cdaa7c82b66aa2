using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Latchkey.Redis.Tests;

/// <summary>
/// A redis-server this test starts on its own loopback port (43xxx), so a test may kill it without touching the
/// shared servers. Stopped (SIGKILL) on dispose.
/// </summary>
internal sealed class RedisServerProcess : IAsyncDisposable
{
    private static int s_nextPort = 43000 + Random.Shared.Next(900);
    private readonly DirectoryInfo _dir;
    private readonly string[] _extraArgs;
    private Process _process;

    private RedisServerProcess(Process process, DirectoryInfo dir, int port, string[] extraArgs)
    {
        _process = process;
        _dir = dir;
        Port = port;
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public static async Task<RedisServerProcess> StartAsync(params string[] extraArgs)
    {
        // Another test run (or another helper) may hold a port of the range: skip busy ones, retry a few.
        for (var tries = 0; tries < 20; tries++)
        {
            var port = NextFreePort();
            var dir = Directory.CreateTempSubdirectory("latchkey-redis-test-");
            var server = new RedisServerProcess(Launch(port, dir, extraArgs), dir, port, extraArgs);
            if (await server.WaitReadyAsync())
            {
                return server;
            }

            await server.DisposeAsync();
        }

        throw new InvalidOperationException("No redis-server of this test became ready in 20 tries.");
    }

    private static int NextFreePort()
    {
        while (true)
        {
            var port = 43000 + (Interlocked.Increment(ref s_nextPort) % 1000);
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Busy: try the next one.
            }
        }
    }

    /// <summary>Kills the server and starts a fresh one (no persistence: empty) on the same port.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        _process.Dispose();
        _process = Launch(Port, _dir, _extraArgs);
        if (!await WaitReadyAsync())
        {
            throw new InvalidOperationException($"redis-server on port {Port} did not come back.");
        }
    }

    private static Process Launch(int port, DirectoryInfo dir, string[] extraArgs)
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.FullName }.Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.StandardOutput.BaseStream.CopyToAsync(Stream.Null).ContinueWith(_ => { }, TaskScheduler.Default).Forget();
        return process;
    }

    private async Task<bool> WaitReadyAsync()
    {
        // Readiness: bounded to 100 probes, 50 ms apart (5 s).
        for (var i = 0; i < 100; i++)
        {
            if (await PingAsync())
            {
                return true;
            }

            if (_process.HasExited)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>Kills the server at once (no shutdown, no save), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        _dir.Delete(recursive: true);
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("PING\r\n"));
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer);
            var reply = Encoding.ASCII.GetString(buffer, 0, read);
            return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            // A server still starting may accept and then reset the connection.
            return false;
        }
    }
}

internal static class TaskExtensions
{
    public static void Forget(this Task task) => _ = task;
}
