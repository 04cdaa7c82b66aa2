using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Latchkey.Conformance;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// An etcd server of the test's own, on free loopback ports with a temporary data directory, for tests
/// that change server settings (auth, TLS) and so must not touch the shared one. Stopped (by its pid) on dispose.
/// </summary>
internal sealed class OwnEtcd : IDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _dir;

    private OwnEtcd(Process process, DirectoryInfo dir, int port, string scheme)
    {
        _process = process;
        _dir = dir;
        Port = port;
        Url = $"{scheme}://127.0.0.1:{port}";
    }

    public int Port { get; }

    public string Url { get; }

    public string Directory => _dir.FullName;

    /// <summary>Starts etcd; <paramref name="tls"/> is (cert, key, ca) PEM paths for HTTPS with client certificates.</summary>
    public static async Task<OwnEtcd> StartAsync(DirectoryInfo dir, (string Cert, string Key, string Ca)? tls = null)
    {
        if (!File.Exists("/usr/bin/etcd") && !File.Exists("/usr/local/bin/etcd"))
        {
            Assert.Skip("etcd is not installed (Debian's etcd-server).");
        }

        var port = FreePort();
        var peer = FreePort();
        var scheme = tls is null ? "http" : "https";
        var args = new List<string>
        {
            "--name", "own", "--data-dir", Path.Combine(dir.FullName, "data"),
            "--listen-client-urls", $"{scheme}://127.0.0.1:{port}", "--advertise-client-urls", $"{scheme}://127.0.0.1:{port}",
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"own=http://127.0.0.1:{peer}", "--log-level", "error",
        };
        if (tls is { } t)
        {
            args.AddRange(["--cert-file", t.Cert, "--key-file", t.Key, "--trusted-ca-file", t.Ca, "--client-cert-auth"]);
        }

        var process = ChildProcesses.StartDrained("etcd", args);
        var etcd = new OwnEtcd(process, dir, port, scheme);
        var clock = Stopwatch.StartNew();
        while (!await etcd.AcceptsAsync())
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                etcd.Dispose();
                Assert.Fail($"Our own etcd on port {port} did not start (exited: {process.HasExited}).");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return etcd;
    }

    /// <summary>Runs etcdctl against this server (plain HTTP only).</summary>
    public Task EtcdctlAsync(params string[] args) => Etcdctl.RequireAsync(Url, args);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<bool> AcceptsAsync() => AcceptsAsync(Port);

    /// <summary>Whether something accepts connections on loopback port <paramref name="port"/>.</summary>
    internal static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
