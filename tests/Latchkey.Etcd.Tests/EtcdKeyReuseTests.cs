using Latchkey.Backend;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// A provider reuses its keys once they are gone for good (etcd walks every deleted key under a name until it is
/// compacted), but never a key that a late request could still touch.
/// </summary>
public sealed class EtcdKeyReuseTests : EtcdTestBase
{
    [Fact]
    public async Task OneProvider_ReusesItsKeysAcrossAcquisitions_WhileTokensKeepIncreasing()
    {
        var provider = Provider();
        var theLock = provider.CreateLock("reuse");
        var keys = new HashSet<string>();
        var tokens = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            // Three at once in one provider: three keys, each its own place in the queue.
            var first = await theLock.AcquireAsync(Patience, Ct);
            var second = theLock.AcquireAsync(Patience, Ct).AsTask();
            await WaitForWaitersAsync(provider, LockKind.Lock, "reuse", 1);
            var third = theLock.AcquireAsync(Patience, Ct).AsTask();
            await WaitForWaitersAsync(provider, LockKind.Lock, "reuse", 2);
            var live = (await Probe.ListAsync(Prefix)).Select(kv => kv.Key.ToStringUtf8()).ToList();
            Assert.Equal(3, live.Distinct().Count());
            keys.UnionWith(live);

            tokens.Add(first.FencingToken);
            await first.ReleaseAsync();
            var next = await second.WaitAsync(Patience, Ct);
            tokens.Add(next.FencingToken);
            await next.ReleaseAsync();
            var last = await third.WaitAsync(Patience, Ct);
            tokens.Add(last.FencingToken);
            await last.ReleaseAsync();
        }

        Assert.Equal(3, keys.Count); // 15 acquisitions, 3 keys
        Assert.True(tokens.Zip(tokens.Skip(1)).All(p => p.Second > p.First), $"Tokens did not increase: {string.Join(", ", tokens)}");
        Assert.Empty(await Probe.ListAsync(Prefix));
        Assert.Equal(0, EtcdProbe.BackendOf(provider).KeyNumbers.Count);
    }

    [Fact]
    public async Task AReusedKey_KeepsItsWatch_AndEachAcquisitionHearsOnlyItsOwnKeysDeletion()
    {
        // Three contenders of one provider take turns on one name: three keys, each reused every turn, each watched
        // by one watch that outlives the acquisitions. Every turn deletes the key that the next acquisition of it
        // will hear on the same watch: none may take that for its own key's deletion.
        const int contenders = 3;
        const int turns = 30;
        var provider = Provider();
        var backend = EtcdProbe.BackendOf(provider);
        var theLock = provider.CreateLock("watched");
        await (await theLock.AcquireAsync(Patience, Ct)).ReleaseAsync(); // the lease and the streams
        var watchesBefore = backend.KeyWatchesMade;
        var holding = 0;
        var work = Enumerable.Range(0, contenders).Select(_ => Task.Run(
            async () =>
            {
                for (var turn = 0; turn < turns; turn++)
                {
                    await using var handle = await theLock.AcquireAsync(Patience, Ct);
                    var lost = handle.Lost;
                    Assert.Equal(1, Interlocked.Increment(ref holding));
                    await Task.Yield();
                    Assert.False(lost.IsCancellationRequested, "A holder was told its key was deleted; it released it itself.");
                    Interlocked.Decrement(ref holding);
                }
            },
            Ct)).ToList();
        await Task.WhenAll(work).WaitAsync(Patience, Ct);

        var watches = backend.KeyWatchesMade - watchesBefore;
        // Each acquisition asks for Lost, so each would watch its key; a key's watch is made again only when all
        // keys of the name were free at once (the set of numbers goes with its watches).
        Assert.True(watches < turns, $"{contenders * turns} acquisitions on {contenders} keys made {watches} watches of their keys.");

        // A kept watch reports its key's deletion by someone else to the acquisition that uses the key now: a waiter
        // gives up, and the next one takes its key and its watch.
        var held = await theLock.AcquireAsync(Patience, Ct);
        using (var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            var first = theLock.AcquireAsync(Patience, giveUp.Token).AsTask();
            await WaitForWaitersAsync(provider, LockKind.Lock, "watched", 1);
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        }

        var watchesBeforeSecond = backend.KeyWatchesMade;
        var waitsBeforeSecond = backend.WaitsFollowing + backend.WaitsWatching;
        var second = theLock.AcquireAsync(Patience, Ct).AsTask();
        await Conformance.Polling.UntilAsync(() => backend.WaitsFollowing + backend.WaitsWatching > waitsBeforeSecond, "the second waiter to wait", Patience, Ct);
        Assert.Equal(watchesBeforeSecond, backend.KeyWatchesMade); // its key's watch is the kept one
        var secondKey = (await Probe.ListAsync(Prefix)).Single(k => k.CreateRevision != held.FencingToken).Key;
        await Probe.DeleteAsync(secondKey);
        await Assert.ThrowsAsync<LockLostException>(() => second.WaitAsync(Patience, Ct));
        await held.ReleaseAsync();
        Assert.Empty(await Probe.ListAsync(Prefix));
    }

    [Fact]
    public async Task AKeyWhoseDeleteWasRetriedOnAnotherMember_IsNotReused_SoTheLateFirstDeleteCannotFreeANewerHolder()
    {
        // Two ways to the same etcd: through a link the test cuts, and direct.
        await using var proxy = new Conformance.LoopbackProxy(Conformance.LoopbackProxy.ParseHostPort(Probe.HostPort));
        var provider = Track(LockProvider.Connect($"etcd://{proxy.Address},{Probe.HostPort}?prefix={Prefix}&ttl=10s&requestTimeout=500ms"));
        var theLock = provider.CreateLock("late");
        var held = await theLock.AcquireAsync(Patience, Ct);
        var doubtful = Assert.Single(await Probe.ListAsync(Prefix)).Key;

        // The release's delete is held in the cut link past its deadline and retried on the other way, which
        // answers; the first delete is delivered when the link heals, after a new acquisition.
        proxy.Blackhole();
        await held.ReleaseAsync();
        Assert.Empty(await Probe.ListAsync(Prefix));
        await using (var again = await theLock.AcquireAsync(Patience, Ct))
        {
            proxy.Heal();
            var key = Assert.Single(await Probe.ListAsync(Prefix)).Key;
            Assert.NotEqual(doubtful, key);
        }

        // With nothing in doubt since, the next acquisitions reuse a key again.
        var seen = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            await using var handle = await theLock.AcquireAsync(Patience, Ct);
            seen.Add((await Probe.ListAsync(Prefix)).Single(kv => kv.CreateRevision == handle.FencingToken).Key.ToStringUtf8());
        }

        Assert.Single(seen);
        Assert.DoesNotContain(doubtful.ToStringUtf8(), seen);
    }
}
