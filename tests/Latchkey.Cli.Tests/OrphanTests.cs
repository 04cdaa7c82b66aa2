using System.Diagnostics;

namespace Latchkey.Cli.Tests;

/// <summary>Issue 19 item 7: the command never outlives latchkey, and so never its lock's protection.</summary>
public sealed class OrphanTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("run", null)]
    [InlineData("elect", null)]
    [InlineData("run", "LATCHKEY_ETCD")]
    [InlineData("run", "LATCHKEY_REDIS")]
    [InlineData("run", "LATCHKEY_ZK")]
    [InlineData("elect", "LATCHKEY_ETCD")]
    public async Task KillingLatchkey_KillsItsCommand_AndNoSecondHolderRunsBesideIt(string command, string? server)
    {
        using var scratch = new Scratch();
        string[] backend = server is null ? ["--backend", "file://" + scratch.File("locks")] : ["--backend", Servers.Require(server), "--ttl", "2s"];
        var name = "cli-orphan-" + Guid.NewGuid().ToString("N");
        using var first = LatchkeyProcess.Start([command, name, .. backend, "--", .. LatchkeyProcess.SleeperWritingPidTo(scratch, "child")]);
        var child = await LatchkeyProcess.ReadPidAsync(scratch, "child", Limit);

        // The second holder's command looks at the first command the moment it starts.
        var second = scratch.File("second");
        using var next = LatchkeyProcess.Start([command, name, .. backend, "--", "sh", "-c",
            $"s=$(cut -d' ' -f3 /proc/{child}/stat 2>/dev/null); if [ -n \"$s\" ] && [ \"$s\" != Z ]; then echo overlap; else echo alone; fi > '{second}.tmp'; mv '{second}.tmp' '{second}'"]);
        try
        {
            var killedAt = Stopwatch.StartNew();
            first.Kill();
            while (LatchkeyProcess.IsAlive(child) && killedAt.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(5);
            }

            Assert.False(LatchkeyProcess.IsAlive(child), "the command outlived latchkey by 5 s");
            Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(1), $"the command outlived latchkey by {killedAt.Elapsed.TotalMilliseconds:0} ms");

            await scratch.WaitForFileAsync("second", Limit);
            Assert.Equal("alone", (await File.ReadAllTextAsync(second)).Trim());
            using var limit = new CancellationTokenSource(Limit);
            await next.WaitForExitAsync(limit.Token);
            Assert.Equal(0, next.ExitCode);
        }
        finally
        {
            LatchkeyProcess.KillIfAlive(child);
            if (!next.HasExited)
            {
                next.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task TheShim_RefusesToRunTheCommand_WhenItsParentIsAlreadyGone()
    {
        using var scratch = new Scratch();

        // PARENT names a pid that is not our parent: as if latchkey had died between fork and prctl.
        var result = await LatchkeyProcess.RunToEndAsync(
            [ExecShim.CommandName, "1", "--", "touch", scratch.File("ran")], new Dictionary<string, string>(), Limit);

        Assert.Equal(76, result.ExitCode);
        Assert.False(File.Exists(scratch.File("ran")));
    }
}
