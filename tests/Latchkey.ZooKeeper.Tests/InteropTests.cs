using System.Diagnostics;
using Latchkey.Conformance;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>Locks taken with ZooKeeper's own CLI take part in Latchkey's queue.</summary>
public sealed class InteropTests
{
    private const string ZkCli = "/usr/share/zookeeper/bin/zkCli.sh";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LockHeldThroughZkCli_ExcludesALatchkeyWaiter_UntilTheCliSessionCloses()
    {
        var server = ZooKeeperServer.ConnectionString();
        Assert.SkipUnless(File.Exists(ZkCli), "zkCli.sh is not installed.");
        await using var raw = await ZooKeeperServer.ConnectAsync();
        await using var provider = LockProvider.Connect(server);
        var name = "cli-" + Guid.NewGuid().ToString("N");
        var parent = ZooKeeperQueueNodes.ParentPath(LockKind.Lock, name);

        // The CLI needs the parent; Latchkey makes the same one (a container) when it first queues.
        await using (await provider.CreateLock(name).TryAcquireAsync(cancellationToken: Ct))
        {
        }

        await raw.CreateAsync(parent + "/keep", default, CreateMode.Persistent, cancellationToken: Ct); // Holds the container while the CLI starts.

        using var cli = ChildProcesses.StartDrained(ZkCli, ["-server", ZooKeeperServer.HostList()], redirectInput: true);
        try
        {
            await cli.StandardInput.WriteLineAsync($"create -e -s {parent}/lock- \"\"");
            await cli.StandardInput.FlushAsync(Ct);
            var clock = Stopwatch.StartNew();
            while (!(await raw.GetChildrenAsync(parent, cancellationToken: Ct)).Children.Any(c => c.StartsWith("lock-", StringComparison.Ordinal)))
            {
                Assert.True(clock.Elapsed < Patience, "zkCli did not create its node.");
                await Task.Delay(50, Ct);
            }

            await raw.DeleteAsync(parent + "/keep", cancellationToken: Ct);
            Assert.Null(await provider.CreateLock(name).TryAcquireAsync(cancellationToken: Ct));
            var waiting = provider.CreateLock(name).AcquireAsync(Patience, Ct).AsTask();
            var status = await provider.GetStatusAsync(LockKind.Lock, name, Ct);
            Assert.Matches("^lock-[0-9]{10}$", Assert.Single(status.Holders).Id);
            Assert.False(waiting.IsCompleted);

            await cli.StandardInput.WriteLineAsync("quit");
            await cli.StandardInput.FlushAsync(Ct);
            await using var handle = await waiting.WaitAsync(Patience, Ct);
            Assert.True(handle.FencingToken > 0);
        }
        finally
        {
            if (!cli.HasExited)
            {
                cli.Kill(entireProcessTree: true);
            }

            await cli.WaitForExitAsync(Ct);
            try
            {
                await raw.DeleteAsync(parent + "/keep", cancellationToken: Ct);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
            }
        }
    }
}
