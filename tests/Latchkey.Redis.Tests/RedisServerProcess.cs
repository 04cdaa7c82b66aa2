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
    private static int s_nextPort = 43600 + ((Environment.ProcessId % 40) * 10);
    private readonly Process _process;
    private readonly DirectoryInfo _dir;

    private RedisServerProcess(Process process, DirectoryInfo dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public static async Task<RedisServerProcess> StartAsync(params string[] extraArgs)
    {
        var port = Interlocked.Increment(ref s_nextPort);
        var dir = Directory.CreateTempSubdirectory("latchkey-redis-test-");
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.FullName }.Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.StandardOutput.BaseStream.CopyToAsync(Stream.Null).ContinueWith(_ => { }, TaskScheduler.Default).Forget();
        var server = new RedisServerProcess(process, dir, port);

        // Readiness: bounded to 100 probes, 50 ms apart (5 s).
        for (var i = 0; i < 100; i++)
        {
            if (await server.PingAsync())
            {
                return server;
            }

            if (process.HasExited)
            {
                break;
            }

            await Task.Delay(50);
        }

        await server.DisposeAsync();
        throw new InvalidOperationException($"redis-server on port {port} did not become ready.");
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
        catch (SocketException)
        {
            return false;
        }
    }
}

internal static class TaskExtensions
{
    public static void Forget(this Task task) => _ = task;
}
