using System.Diagnostics;
using System.Text.Json;
using Latchkey.Conformance;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// A three-member etcd cluster of the test's own, on free loopback ports with temporary data directories, for tests
/// of what a provider does when a member dies. Elections are fast (50 ms heartbeats, 500 ms election timeout) so a
/// new leader is chosen well within a lease's life. Every member still running is stopped on dispose.
/// </summary>
internal sealed class OwnEtcdCluster : IDisposable
{
    private readonly Process[] _members;
    private readonly int[] _clientPorts;

    private OwnEtcdCluster(Process[] members, int[] clientPorts)
    {
        _members = members;
        _clientPorts = clientPorts;
    }

    public int Size => _members.Length;

    /// <summary>Starts the members and waits until each accepts connections and the cluster has a leader.</summary>
    public static async Task<OwnEtcdCluster> StartAsync(DirectoryInfo dir, int size = 3)
    {
        if (!File.Exists("/usr/bin/etcd") && !File.Exists("/usr/local/bin/etcd"))
        {
            Assert.Skip("etcd is not installed (Debian's etcd-server).");
        }

        var clientPorts = Enumerable.Range(0, size).Select(_ => OwnEtcd.FreePort()).ToArray();
        var peerPorts = Enumerable.Range(0, size).Select(_ => OwnEtcd.FreePort()).ToArray();
        var initialCluster = string.Join(",", Enumerable.Range(0, size).Select(i => $"m{i}=http://127.0.0.1:{peerPorts[i]}"));
        var members = new Process[size];
        for (var i = 0; i < size; i++)
        {
            members[i] = ChildProcesses.StartDrained("etcd",
            [
                "--name", $"m{i}", "--data-dir", Path.Combine(dir.FullName, $"m{i}"),
                "--listen-client-urls", $"http://127.0.0.1:{clientPorts[i]}", "--advertise-client-urls", $"http://127.0.0.1:{clientPorts[i]}",
                "--listen-peer-urls", $"http://127.0.0.1:{peerPorts[i]}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPorts[i]}",
                "--initial-cluster", initialCluster, "--initial-cluster-state", "new",
                "--heartbeat-interval", "50", "--election-timeout", "500", "--log-level", "error",
            ]);
        }

        var cluster = new OwnEtcdCluster(members, clientPorts);
        try
        {
            var clock = Stopwatch.StartNew();
            while (await cluster.LeaderAsync() is null)
            {
                if (members.Any(m => m.HasExited) || clock.Elapsed > TimeSpan.FromSeconds(30))
                {
                    Assert.Fail($"Our own etcd cluster did not elect a leader (a member exited: {members.Any(m => m.HasExited)}).");
                }

                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        catch
        {
            cluster.Dispose();
            throw;
        }

        return cluster;
    }

    /// <summary>Every member but <paramref name="member"/>, in order.</summary>
    public int[] AllBut(int member) => Enumerable.Range(0, Size).Where(i => i != member).ToArray();

    /// <summary>The members' client endpoints in the given order, as a connection string's host list.</summary>
    public string Endpoints(params int[] members) => string.Join(",", members.Select(i => $"127.0.0.1:{_clientPorts[i]}"));

    /// <summary>
    /// Writes a key through <paramref name="member"/> and compacts the store up to that write's revision: every older
    /// revision is gone, and a watch that asks to resume from one is cancelled by etcd.
    /// </summary>
    public async Task<long> CompactAsync(int member)
    {
        using var put = JsonDocument.Parse(await Etcdctl.RequireAsync(Endpoints(member), "--command-timeout", "5s", "put", "latchkey-test/compaction-marker", "x", "-w", "json"));
        var revision = put.RootElement.GetProperty("header").GetProperty("revision").GetInt64();
        await Etcdctl.RequireAsync(Endpoints(member), "--command-timeout", "5s", "compaction", revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return revision;
    }

    /// <summary>The index of the member that leads now, as the running members report it; null if none does yet.</summary>
    public async Task<int?> LeaderAsync()
    {
        var running = Enumerable.Range(0, Size).Where(i => !_members[i].HasExited).ToArray();
        foreach (var member in running)
        {
            if (!await OwnEtcd.AcceptsAsync(_clientPorts[member]))
            {
                return null;
            }
        }

        // etcdctl endpoint status: each member's own id and the leader's id as that member sees it.
        var (exitCode, output, _) = await Etcdctl.RunAsync(Endpoints(running), "--command-timeout", "2s", "endpoint", "status", "-w", "json");
        if (exitCode != 0)
        {
            return null;
        }

        using var statuses = JsonDocument.Parse(output);
        var ids = new List<(int Member, ulong Id, ulong Leader)>();
        foreach (var status in statuses.RootElement.EnumerateArray())
        {
            var endpoint = status.GetProperty("Endpoint").GetString()!;
            var member = Array.FindIndex(_clientPorts, p => endpoint.EndsWith($":{p}", StringComparison.Ordinal));
            var fields = status.GetProperty("Status");
            ids.Add((member, fields.GetProperty("header").GetProperty("member_id").GetUInt64(), fields.GetProperty("leader").GetUInt64()));
        }

        // A leader all running members agree on, and one of them.
        var leaders = ids.Select(s => s.Leader).Distinct().ToList();
        return leaders.Count == 1 && ids.FirstOrDefault(s => s.Id == leaders[0]) is { Member: >= 0 } leader ? leader.Member : null;
    }

    /// <summary>Kills a member at once, as a crash would: its connections close, it says goodbye to nobody.</summary>
    public void Kill(int member)
    {
        _members[member].Kill();
        _members[member].WaitForExit(10_000);
    }

    /// <summary>
    /// Freezes a member (SIGSTOP), as a long pause, a stalled disk or a partition would: its connections stay open and
    /// the kernel still accepts what is sent to it, but nothing is answered.
    /// </summary>
    public async Task FreezeAsync(int member)
    {
        using var kill = Process.Start("kill", ["-STOP", _members[member].Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        foreach (var member in _members)
        {
            if (!member.HasExited)
            {
                member.Kill();
                member.WaitForExit(10_000);
            }

            member.Dispose();
        }
    }
}
