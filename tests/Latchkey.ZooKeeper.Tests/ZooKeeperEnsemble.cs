using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Latchkey.Conformance;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>
/// A three-node ZooKeeper ensemble on loopback that the test starts and owns (as scripts/test-servers.sh
/// does), so a test may kill its members without touching the shared servers.
/// </summary>
internal sealed class ZooKeeperEnsemble : IAsyncDisposable
{
    private const string Jar = "/usr/share/java/zookeeper.jar";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lk-zk-ensemble-");
    private readonly Process?[] _nodes = new Process?[3];

    private ZooKeeperEnsemble(int basePort) => Ports = [basePort + 182, basePort + 183, basePort + 184];

    public int[] Ports { get; }

    public string ConnectionString => "zk://" + string.Join(",", Ports.Select(p => $"127.0.0.1:{p}"));

    public static async Task<ZooKeeperEnsemble> StartAsync(int basePort, CancellationToken cancellationToken)
    {
        if (!File.Exists(Jar))
        {
            Assert.Skip("ZooKeeper is not installed (/usr/share/java/zookeeper.jar).");
        }

        var ensemble = new ZooKeeperEnsemble(basePort);
        foreach (var port in ensemble.Ports)
        {
            // Never talk to (or kill) a server someone else started on these ports.
            Assert.True(await FourLetterAsync(port, "ruok", cancellationToken) is null, $"Port {port} is already in use; the ensemble test needs ports {basePort + 182}-{basePort + 184}, {basePort + 801}-{basePort + 803} and {basePort + 901}-{basePort + 903} free.");
        }

        try
        {
            var servers = new StringBuilder();
            for (var i = 1; i <= 3; i++)
            {
                servers.Append(System.Globalization.CultureInfo.InvariantCulture, $"server.{i}=127.0.0.1:{basePort + 800 + i}:{basePort + 900 + i}\n");
            }

            for (var i = 0; i < 3; i++)
            {
                ensemble.Start(i, servers.ToString());
            }

            foreach (var port in ensemble.Ports)
            {
                await WaitServingAsync(port, cancellationToken);
            }

            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the member that serves <paramref name="port"/> (SIGKILL: no goodbye to its clients).</summary>
    public void Kill(int port)
    {
        var index = Array.IndexOf(Ports, port);
        _nodes[index]?.Kill(entireProcessTree: true);
        _nodes[index]?.WaitForExit(10_000);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node is { HasExited: false })
            {
                node.Kill(entireProcessTree: true);
                node.WaitForExit(10_000);
            }

            node?.Dispose();
        }

        _dir.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    private void Start(int index, string servers)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir.FullName, $"zk-{index + 1}"));
        var data = Directory.CreateDirectory(Path.Combine(dir.FullName, "data"));
        File.WriteAllText(Path.Combine(data.FullName, "myid"), (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var config = Path.Combine(dir.FullName, "zoo.cfg");
        File.WriteAllText(config, $"""
            tickTime=500
            initLimit=20
            syncLimit=10
            dataDir={data.FullName}
            clientPort={Ports[index]}
            clientPortAddress=127.0.0.1
            admin.enableServer=false
            4lw.commands.whitelist=ruok,srvr
            maxSessionTimeout=60000
            minSessionTimeout=1000
            {servers}
            """);
        var classPath = string.Join(':', new[] { Jar, "/etc/zookeeper/conf", "/usr/share/java/slf4j-api.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar", "/usr/share/java/netty.jar" }.Where(p => File.Exists(p) || Directory.Exists(p)));
        var process = ChildProcesses.StartDrained("java", ["-Xmx128m", $"-Dzookeeper.log.dir={dir.FullName}", "-Dzookeeper.admin.enableServer=false", "-cp", classPath, "org.apache.zookeeper.server.quorum.QuorumPeerMain", config]);
        _nodes[index] = process;
    }

    private static async Task WaitServingAsync(int port, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await FourLetterAsync(port, "srvr", cancellationToken) is { } reply && reply.Contains("Mode: ", StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"ZooKeeper on port {port} did not join its ensemble within 60 s.");
            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<string?> FourLetterAsync(int port, string command, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(3));
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, limit.Token);
        }
        catch (Exception ex) when (ex is SocketException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null; // Nothing listens.
        }

        try
        {
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command), limit.Token);
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync(limit.Token);
        }
        catch (Exception ex) when (ex is SocketException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return string.Empty; // Something listens but gave no answer.
        }
    }
}
