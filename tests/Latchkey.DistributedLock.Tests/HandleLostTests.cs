using Latchkey.Conformance;
using Medallion.Threading;

namespace Latchkey.DistributedLock.Tests;

/// <summary>
/// <see cref="IDistributedSynchronizationHandle.HandleLostToken"/> on a leased backend: etcd with a 2 s TTL, reached
/// through a proxy that the test cuts, so the lease cannot be renewed and the lock is lost.
/// </summary>
public sealed class HandleLostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HandleLostToken_FiresWhenTheLeaseCannotBeRenewed_BeforeAnotherHolderGetsTheLock()
    {
        var etcd = new Uri(TestServers.Require("LATCHKEY_ETCD"));
        var prefix = $"bridge-{Guid.NewGuid():N}";
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort($"{etcd.Host}:{etcd.Port}"));
        await using var cutOff = LockProvider.Connect($"etcd://{proxy.Address}?prefix={prefix}&ttl=2s");
        await using var other = LockProvider.Connect($"etcd://{etcd.Host}:{etcd.Port}?prefix={prefix}&ttl=2s");
        IDistributedLockProvider locks = new LatchkeyDistributedLockProvider(cutOff);
        IDistributedLockProvider otherLocks = new LatchkeyDistributedLockProvider(other);

        var held = await locks.AcquireLockAsync("partitioned", Patience, Ct);
        Assert.True(held.HandleLostToken.CanBeCanceled);
        var lost = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = held.HandleLostToken.Register(() => lost.TrySetResult(true));
        var waiting = otherLocks.AcquireLockAsync("partitioned", Patience, Ct).AsTask();

        proxy.Blackhole();
        await using var next = await waiting.WaitAsync(Patience, Ct);
        Assert.True(lost.Task.IsCompleted, "HandleLostToken had not fired when the other provider acquired the lock.");
        Assert.True(((LatchkeyDistributedLockHandle)next).FencingToken > ((LatchkeyDistributedLockHandle)held).FencingToken);
        await held.DisposeAsync(); // never throws, though the release cannot reach etcd
    }

    [Fact]
    public async Task HandleLostToken_StaysQuietWhileTheLeaseIsRenewed()
    {
        var etcd = TestServers.Require("LATCHKEY_ETCD");
        await using var provider = LockProvider.Connect($"{etcd}?prefix=bridge-{Guid.NewGuid():N}&ttl=2s");
        await using var held = await new LatchkeyDistributedLockProvider(provider).AcquireLockAsync("renewed", Patience, Ct);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = held.HandleLostToken.Register(lost.SetResult);
        // Two TTLs pass: the lease is renewed every third of one, so the handle stays held.
        var finished = await Task.WhenAny(lost.Task, Task.Delay(TimeSpan.FromSeconds(4), Ct));
        Assert.NotSame(lost.Task, finished);
        Assert.True(((LatchkeyDistributedLockHandle)held).LockHandle.IsHeld);
    }
}
