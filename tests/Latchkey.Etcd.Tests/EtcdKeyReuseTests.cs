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
        Assert.Equal(0, EtcdProbe.BackendOf(provider).Leases.Current!.Slots.Count);
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
