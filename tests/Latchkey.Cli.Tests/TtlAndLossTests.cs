using System.Diagnostics;

namespace Latchkey.Cli.Tests;

/// <summary>Issue 19 items 2 and 4: --ttl holds on every backend; a lost lock is exit 76 on every backend.</summary>
public sealed class TtlAndLossTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("LATCHKEY_ETCD")]
    [InlineData("LATCHKEY_ZK")]
    public async Task Run_Ttl_PassesASigkilledHoldersLockOnWithinTtlPlus2s(string server)
    {
        var backend = Servers.Require(server);
        using var scratch = new Scratch();
        var name = "cli-ttl-" + Guid.NewGuid().ToString("N");
        using var holder = LatchkeyProcess.Start(["run", name, "--ttl", "3s", "--backend", backend, "--", .. LatchkeyProcess.SleeperWritingPidTo(scratch, "child")]);
        var child = await LatchkeyProcess.ReadPidAsync(scratch, "child", Limit);
        try
        {
            await using var other = await Connections.OpenAsync(backend, CancellationToken.None);
            var killedAt = Stopwatch.StartNew();
            holder.Kill();

            await using var handle = await other.CreateLock(name).TryAcquireAsync(TimeSpan.FromSeconds(3 + 2));

            Assert.True(handle is not null, $"the lock did not pass on within 5 s of the SIGKILL ({killedAt.Elapsed.TotalSeconds:0.0} s)");
        }
        finally
        {
            LatchkeyProcess.KillIfAlive(child);
        }
    }

    [Theory]
    [InlineData("etcd://127.0.0.1:1?ttl=10s", "ttl=10s")]
    [InlineData("zk://127.0.0.1:1?sessionTimeout=10s", "sessionTimeout=10s")]
    public async Task Run_TtlThatDisagreesWithTheUri_Exits64(string backend, string named)
    {
        var result = await Cli.RunAsync(["run", "x", "--ttl", "5s", "--backend", backend, "--", "true"]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("--ttl", result.Error);
        Assert.Contains(named, result.Error);
    }

    [Theory]
    [InlineData("etcd://127.0.0.1:27379?ttl=5s", "5s", "etcd://127.0.0.1:27379?ttl=5s")]
    [InlineData("etcd://127.0.0.1:27379", "5s", "etcd://127.0.0.1:27379?ttl=5000ms")]
    [InlineData("zk://127.0.0.1:27181?connectTimeout=2s", "3s", "zk://127.0.0.1:27181?connectTimeout=2s&sessionTimeout=3000ms")]
    [InlineData("redis://127.0.0.1:6379", "3s", "redis://127.0.0.1:6379")]
    [InlineData("file:///tmp/x", "3s", "file:///tmp/x")]
    public void Ttl_IsWrittenIntoTheUriWhereTheLeaseIsPerConnection(string backend, string flag, string expected)
    {
        var (resolved, ttl) = BackendTtl.Apply(backend, DurationConverter.Parse(flag, "--ttl"));

        Assert.Equal(expected, resolved);
        Assert.Equal(DurationConverter.Parse(flag, "--ttl"), ttl);
    }

    [Theory]
    [InlineData("LATCHKEY_ETCD", "?ttl=2s")]
    [InlineData("LATCHKEY_ZK", "?sessionTimeout=2s")]
    [InlineData("LATCHKEY_REDIS", "")]
    public async Task Run_PausedPastItsLease_KillsTheCommandAndExits76(string server, string ttl)
    {
        var backend = Servers.Require(server) + ttl;
        using var scratch = new Scratch();
        var name = "cli-lost-" + Guid.NewGuid().ToString("N");
        using var latchkey = LatchkeyProcess.Start(["run", name, "--ttl", "2s", "--backend", backend, "--", .. LatchkeyProcess.SleeperWritingPidTo(scratch, "child")]);
        var child = await LatchkeyProcess.ReadPidAsync(scratch, "child", Limit);

        // Freeze latchkey so it cannot renew; once another client has the lock, the old hold is gone for sure.
        Assert.True(NativeMethods.TrySignal(latchkey.Id, LatchkeyProcess.SigStop));
        try
        {
            await using var other = await Connections.OpenAsync(Servers.Require(server), CancellationToken.None);
            await using var taken = await other.CreateLock(name).AcquireAsync(Limit);
        }
        finally
        {
            NativeMethods.TrySignal(latchkey.Id, LatchkeyProcess.SigCont);
        }

        try
        {
            using var limit = new CancellationTokenSource(Limit);
            await latchkey.WaitForExitAsync(limit.Token);
            Assert.Equal(76, latchkey.ExitCode);
            Assert.False(LatchkeyProcess.IsAlive(child), "the command was killed");
        }
        finally
        {
            LatchkeyProcess.KillIfAlive(child);
        }
    }

    [Theory]
    [InlineData("etcd://127.0.0.1:1?connectTimeout=1s")]
    [InlineData("redis://127.0.0.1:1?connectTimeout=1s")]
    [InlineData("zk://127.0.0.1:1?connectTimeout=1s")]
    public async Task Run_OnAnUnreachableBackend_Exits69_WithoutRunningTheCommand(string backend)
    {
        using var scratch = new Scratch();

        var result = await Cli.RunAsync(["run", "x", "--backend", backend, "--", "touch", scratch.File("ran")]);

        Assert.Equal(69, result.ExitCode);
        Assert.False(File.Exists(scratch.File("ran")));
    }
}
