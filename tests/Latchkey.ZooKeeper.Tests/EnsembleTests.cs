namespace Latchkey.ZooKeeper.Tests;

/// <summary>Fail-over in a three-node ensemble the test starts itself (never the shared servers).</summary>
public sealed class EnsembleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HoldersServerDies_ClientMovesToAnotherMember_AndKeepsTheLock()
    {
        ZooKeeperServer.ConnectionString(); // Skips (or fails in CI) like the other server tests.
        // Below Linux's ephemeral range (32768-60999), so no outgoing connection or free-port pick of a test running
        // beside this one can hold a port the ensemble needs, and away from ./test.sh's servers (base 20000).
        await using var ensemble = await ZooKeeperEnsemble.StartAsync(26500, Ct);
        // Sessions long enough to outlast the ensemble's election and resync when the killed member led it (initLimit
        // is 10 s), also on a loaded machine: what is tested is that the client moves, not how fast ZooKeeper elects.
        await using var holder = LockProvider.Connect(ensemble.ConnectionString + "?sessionTimeout=30s");
        await using var waiter = LockProvider.Connect(ensemble.ConnectionString + "?sessionTimeout=30s");
        var name = "ensemble-" + Guid.NewGuid().ToString("N");
        var held = await holder.CreateLock(name).AcquireAsync(Patience, Ct);
        var next = waiter.CreateLock(name).AcquireAsync(Patience, Ct).AsTask();
        var status = await holder.GetStatusAsync(LockKind.Lock, name, Ct);
        for (var i = 0; status.Waiters.Count == 0 && i < 600; i++)
        {
            await Task.Delay(50, Ct);
            status = await holder.GetStatusAsync(LockKind.Lock, name, Ct);
        }

        Assert.Single(status.Waiters);

        var client = ((ZooKeeperLockBackend)((LockProvider)holder).Backend).CurrentClient!;
        var server = client.ConnectedServer!;
        var moved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, state) =>
        {
            if (state == Client.ZooKeeperSessionState.Connected)
            {
                moved.TrySetResult();
            }
            else if (state is Client.ZooKeeperSessionState.Expired or Client.ZooKeeperSessionState.Closed)
            {
                moved.TrySetException(new InvalidOperationException($"The holder's session ended ({state}) instead of moving to another member."));
            }
        };
        ensemble.Kill(int.Parse(server[(server.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

        await moved.Task.WaitAsync(Patience, Ct);
        Assert.NotEqual(server, client.ConnectedServer);
        Assert.False(held.Lost.IsCancellationRequested, "A holder that reconnected within its session keeps the lock.");
        Assert.False(next.IsCompleted);

        await held.ReleaseAsync();
        await using var nextHandle = await next.WaitAsync(Patience, Ct);
        Assert.True(nextHandle.FencingToken > held.FencingToken);
    }
}
