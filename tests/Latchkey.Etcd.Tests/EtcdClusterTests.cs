using System.Diagnostics;
using Latchkey.Backend;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// A lease, a key and a waiter's place live in the cluster, not in the member a provider talks to: when that member
/// dies, keep-alives, requests and watches move to another member and nothing held or queued is lost.
/// </summary>
public sealed class EtcdClusterTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("latchkey-etcd-cluster-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task TheLeaderAHolderAndItsWaiterTalkToDies_TheHolderKeepsTheLock_AndTheWaiterGetsItOnRelease()
    {
        using var cluster = await OwnEtcdCluster.StartAsync(_dir);
        var leader = (await cluster.LeaderAsync())!.Value;
        var others = cluster.AllBut(leader);

        // Holder and waiter talk to the leader first; an onlooker talks only to the members that will survive.
        const string Options = "?ttl=6s&connectTimeout=2s&requestTimeout=2s";
        await using var holderProvider = LockProvider.Connect($"etcd://{cluster.Endpoints([leader, .. others])}{Options}");
        await using var waiterProvider = LockProvider.Connect($"etcd://{cluster.Endpoints([leader, .. others])}{Options}");
        await using var onlooker = LockProvider.Connect($"etcd://{cluster.Endpoints(others)}{Options}");

        var held = await holderProvider.CreateLock("cluster").AcquireAsync(Patience, Ct);
        var lost = held.Lost;
        var waiting = waiterProvider.CreateLock("cluster").AcquireAsync(Patience, Ct).AsTask();
        await WaitUntilAsync(async () => (await onlooker.GetStatusAsync(LockKind.Lock, "cluster", Ct)).Waiters.Count == 1, "the waiter never queued");

        cluster.Kill(leader);
        var killedAt = Stopwatch.GetTimestamp(); // after: a keep-alive sent from here on cannot be answered by it

        // Both leases are renewed through another member: a keep-alive sent after the kill is answered.
        var holderLease = EtcdProbe.BackendOf(holderProvider).Leases.Current!;
        var waiterLease = EtcdProbe.BackendOf(waiterProvider).Leases.Current!;
        await WaitUntilAsync(() => Task.FromResult(holderLease.ConfirmedAt > killedAt && waiterLease.ConfirmedAt > killedAt), "a lease was not renewed after its member died");

        Assert.False(lost.IsCancellationRequested, "The holder was told its lock was lost, though its lease lives on.");
        Assert.False(waiting.IsCompleted, "The waiter got the lock while it was still held.");
        var status = await onlooker.GetStatusAsync(LockKind.Lock, "cluster", Ct);
        Assert.Equal(held.FencingToken, Assert.Single(status.Holders).Sequence);
        Assert.Single(status.Waiters);
        Assert.Null(await onlooker.CreateLock("cluster").TryAcquireAsync(cancellationToken: Ct));

        // The release goes to a surviving member, and the waiter hears of it on its moved watch.
        await held.ReleaseAsync();
        await using var next = await waiting.WaitAsync(Patience, Ct);
        Assert.True(next.FencingToken > held.FencingToken);
        Assert.False(next.Lost.IsCancellationRequested);

        // The holder's provider goes on acquiring through the members left.
        await using var again = await holderProvider.CreateLock("cluster-after").AcquireAsync(Patience, Ct);
        Assert.True(again.FencingToken > next.FencingToken);
    }

    [Fact]
    public async Task TheMemberAHolderAndAWaiterTalkToStopsAnswering_LeasesAreRenewedElsewhereBeforeTheyCouldExpire_AndTheWaiterStillHearsTheRelease()
    {
        using var cluster = await OwnEtcdCluster.StartAsync(_dir);
        var leader = (await cluster.LeaderAsync())!.Value;
        var follower = cluster.AllBut(leader)[0];
        var others = cluster.AllBut(follower);

        // Renewals every 2 s, and Lost 5.6 s (TTL − the core's margin) after the last one that was answered was sent: an unanswered keep-alive is
        // given up at the next renewal, which leaves 1.6 s to renew elsewhere, where waiting for the connection to be
        // found dead (two unanswered 2 s pings) would not. Requests wait for an answer as long as by default (10 s).
        await using var provider = LockProvider.Connect($"etcd://{cluster.Endpoints([follower, .. others])}?ttl=6s&connectTimeout=2s");
        await using var held = await provider.CreateLock("frozen").AcquireAsync(Patience, Ct);
        var lost = held.Lost;
        var lease = EtcdProbe.BackendOf(provider).Leases.Current!;

        // A waiter of another provider, talking to the same member: its watch stream will hang there.
        await using var onlooker = LockProvider.Connect($"etcd://{cluster.Endpoints(others)}?ttl=6s");
        await using var waiterProvider = LockProvider.Connect($"etcd://{cluster.Endpoints([follower, .. others])}?ttl=6s&connectTimeout=2s");
        var waiting = waiterProvider.CreateLock("frozen").AcquireAsync(Patience, Ct).AsTask();
        await WaitUntilAsync(async () => (await onlooker.GetStatusAsync(LockKind.Lock, "frozen", Ct)).Waiters.Count == 1, "the waiter never queued");

        await cluster.FreezeAsync(follower);
        var frozenAt = Stopwatch.GetTimestamp(); // after: a keep-alive sent from here on cannot be answered by it

        // A request sent to the frozen member now gets no answer; when the connection is found dead (its HTTP/2 pings
        // go unanswered), it is sent again to another member instead of failing.
        var other = provider.CreateLock("frozen-other").AcquireAsync(Patience, Ct).AsTask();

        // A frozen member keeps its connections open and answers nothing, so nothing fails on its own: the provider
        // must notice that a keep-alive went unanswered and move on while the lease still lives.
        await WaitUntilAsync(() => Task.FromResult(lease.ConfirmedAt > frozenAt || lost.IsCancellationRequested), "the lease was neither renewed nor lost");
        Assert.False(lost.IsCancellationRequested, $"The holder was told its lock was lost while two of three members were up: {lease.LostReason}");
        Assert.Null(await onlooker.CreateLock("frozen").TryAcquireAsync(cancellationToken: Ct));
        await using var otherHeld = await other.WaitAsync(Patience, Ct);
        Assert.True(otherHeld.FencingToken > held.FencingToken);

        // The waiter hears of the release once its watch has moved on too (the stalled connection is dropped when its
        // pings go unanswered, and the watch resumes on another member from the last revision it saw).
        await held.ReleaseAsync();
        await using var next = await waiting.WaitAsync(Patience, Ct);
        Assert.True(next.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task AWaiterWhoseWatchMustResumeFromACompactedRevision_ReadsTheQueueAgain_AndTakesItsTurn()
    {
        using var cluster = await OwnEtcdCluster.StartAsync(_dir);
        var leader = (await cluster.LeaderAsync())!.Value;
        var follower = cluster.AllBut(leader)[0];
        var others = cluster.AllBut(follower);

        await using var holderProvider = LockProvider.Connect($"etcd://{cluster.Endpoints(others)}?ttl=6s");
        await using var waiterProvider = LockProvider.Connect($"etcd://{cluster.Endpoints([follower, .. others])}?ttl=6s&connectTimeout=2s");
        var held = await holderProvider.CreateLock("compacted").AcquireAsync(Patience, Ct);
        var waiting = waiterProvider.CreateLock("compacted").AcquireAsync(Patience, Ct).AsTask();
        await WaitUntilAsync(async () => (await holderProvider.GetStatusAsync(LockKind.Lock, "compacted", Ct)).Waiters.Count == 1, "the waiter never queued");

        // The waiter's watch hangs on the frozen member while the holder releases and the store is compacted past
        // that release: when the watch moves to another member, etcd cannot replay the deletion it missed.
        await cluster.FreezeAsync(follower);
        await held.ReleaseAsync();
        var compactedAt = await cluster.CompactAsync(others[0]);

        await using var next = await waiting.WaitAsync(Patience, Ct);
        Assert.True(next.FencingToken > held.FencingToken);
        Assert.True(compactedAt > next.FencingToken, "The waiter's key was made after the compaction: the test did not test it.");
        Assert.False(next.Lost.IsCancellationRequested);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Patience, $"Timed out: {failure}.");
            await Task.Delay(50, Ct);
        }
    }
}
