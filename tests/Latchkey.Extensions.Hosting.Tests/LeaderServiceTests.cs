using System.Collections.Concurrent;
using System.Diagnostics;
using Latchkey.Conformance;
using Latchkey.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Latchkey.Extensions.Hosting.Tests;

/// <summary>Two hosts of one service on a real etcd: one leads at a time, and the other takes over when it dies or stops.</summary>
public sealed class LeaderServiceTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ALeaderThatStopsGracefully_Resigns_AndTheOtherLeadsBeforeTheLeaseCouldHaveRunOut()
    {
        var etcd = TestServers.Require("LATCHKEY_ETCD");
        var election = $"leader-{Guid.NewGuid():N}";
        var log = new LeadershipLog();
        using var first = StartHost("first", $"{etcd}?ttl=10s", election, log);
        await first.StartAsync(Ct);
        await log.WaitForLeaderAsync("first");
        using var second = StartHost("second", $"{etcd}?ttl=10s", election, log);
        await second.StartAsync(Ct);

        await first.StopAsync(Ct);
        var stopped = Stopwatch.GetTimestamp();
        await log.WaitForLeaderAsync("second");
        var handOver = Stopwatch.GetElapsedTime(stopped);
        TestContext.Current.TestOutputHelper?.WriteLine($"the second host led {handOver.TotalMilliseconds:F0} ms after the first stopped");

        // A lease of 10 s: leading this soon means the first resigned rather than let its lease expire.
        Assert.True(handOver < TimeSpan.FromSeconds(5), $"The second host led {handOver} after the first stopped: it waited for the lease, not a resignation.");
        log.AssertNeverTwoLeaders();
        await second.StopAsync(Ct);
    }

    [Fact]
    public async Task ALeaderCutOffFromEtcd_IsCancelled_AndTheOtherLeadsOnlyAfterThat()
    {
        var etcd = TestServers.Require("LATCHKEY_ETCD");
        var authority = new Uri(etcd).Authority;
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(authority));
        var election = $"leader-{Guid.NewGuid():N}";
        var log = new LeadershipLog();
        using var cutOff = StartHost("cut-off", $"etcd://{proxy.Address}?ttl={Ttl.TotalSeconds}s", election, log);
        await cutOff.StartAsync(Ct);
        await log.WaitForLeaderAsync("cut-off");
        using var other = StartHost("other", $"{etcd}?ttl={Ttl.TotalSeconds}s", election, log);
        await other.StartAsync(Ct);

        proxy.Blackhole(); // as if the leader's machine died
        await log.WaitForLeaderAsync("other");
        log.AssertNeverTwoLeaders();
        Assert.Contains(log.Events, e => e.Host == "cut-off" && !e.Leading);

        await other.StopAsync(Ct);
        await cutOff.StopAsync(Ct);
    }

    private static IHost StartHost(string name, string connectionString, string election, LeadershipLog log)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(log);
        builder.Services.AddSingleton(new HostName(name));
        builder.Services.AddLatchkey(connectionString);
        builder.Services.AddLeaderService<RecordingLeader>(election, o => o.Value = name);
        return builder.Build();
    }

    private sealed record HostName(string Value);

    private sealed class RecordingLeader(LeadershipLog log, HostName host) : ILeaderService
    {
        public async Task RunAsLeaderAsync(ILeadership leadership, CancellationToken leadershipLost)
        {
            log.Add(host.Value, leading: true);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, leadershipLost);
            }
            finally
            {
                log.Add(host.Value, leading: false);
            }
        }
    }

    private sealed class LeadershipLog
    {
        private readonly ConcurrentQueue<(string Host, bool Leading, long At)> _events = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _leaders = new();

        public IEnumerable<(string Host, bool Leading, long At)> Events => _events;

        public void Add(string host, bool leading)
        {
            _events.Enqueue((host, leading, Stopwatch.GetTimestamp()));
            if (leading)
            {
                Leader(host).TrySetResult();
            }
        }

        public Task WaitForLeaderAsync(string host) => Leader(host).Task.WaitAsync(Patience, Ct);

        /// <summary>Leading spans, in the order they were recorded, never overlap.</summary>
        public void AssertNeverTwoLeaders()
        {
            var leading = new HashSet<string>();
            foreach (var (host, isLeading, _) in _events)
            {
                if (isLeading)
                {
                    Assert.True(leading.Count == 0, $"{host} began to lead while {string.Join(", ", leading)} still led.");
                    leading.Add(host);
                }
                else
                {
                    leading.Remove(host);
                }
            }
        }

        private TaskCompletionSource Leader(string host) =>
            _leaders.GetOrAdd(host, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
