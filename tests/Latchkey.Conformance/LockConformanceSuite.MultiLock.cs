using Xunit;

namespace Latchkey.Conformance;

/// <summary>Several locks taken all or none (<see cref="LockProviderExtensions.AcquireAllAsync"/>).</summary>
public abstract partial class LockConformanceSuite
{
    [Fact]
    public async Task AcquireAll_TakesEveryLock_AndReleasingFreesEveryOne()
    {
        var names = new[] { UniqueName("all-c"), UniqueName("all-a"), UniqueName("all-b") };
        var other = await NewProviderAsync();
        var all = await Provider.AcquireAllAsync(names, Patience, cancellationToken: TestCancellation);
        Assert.Equal(3, all.Members.Count);
        Assert.True(all.IsHeld);
        foreach (var name in names)
        {
            Assert.Null(await other.TryAcquireAsync(name, cancellationToken: TestCancellation));
        }

        await all.ReleaseAsync();
        Assert.False(all.IsHeld);
        foreach (var name in names)
        {
            await using var again = await other.TryAcquireAsync(name, cancellationToken: TestCancellation);
            Assert.NotNull(again);
        }
    }

    [Fact]
    public async Task AcquireAll_WhenOneIsTakenElsewhere_TimesOut_HoldingNoneAndLeavingNothingQueued()
    {
        var names = new[] { UniqueName("some-a"), UniqueName("some-b"), UniqueName("some-c") };
        var other = await NewProviderAsync();
        await using (var blocker = await other.AcquireAsync(names[1], Patience, TestCancellation))
        {
            await Assert.ThrowsAsync<TimeoutException>(() => Provider.AcquireAllAsync(names, TimeSpan.FromMilliseconds(300), cancellationToken: TestCancellation).AsTask());
            Assert.Null(await Provider.TryAcquireAllAsync(names, cancellationToken: TestCancellation));
        }

        foreach (var name in names)
        {
            await AssertNothingLeftAsync(LockKind.Lock, name);
        }
    }

    [Fact]
    public async Task AcquireAll_RejectsAnEmptySet_AndAnInvalidName_BeforeSendingAnything()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Provider.AcquireAllAsync([], cancellationToken: TestCancellation).AsTask());
        var valid = UniqueName("valid");
        await Assert.ThrowsAsync<ArgumentException>(() => Provider.AcquireAllAsync([valid, "bad\nname"], cancellationToken: TestCancellation).AsTask());
        await AssertNothingLeftAsync(LockKind.Lock, valid);
    }

    [Fact]
    public async Task AcquireAll_RandomOverlappingSets_NeverDeadlock_NeverShareALock_LeaveNothing()
    {
        const int Contenders = 6;
        const int Rounds = 8;
        var pool = Enumerable.Range(0, 5).Select(i => UniqueName($"set{i}")).ToArray();
        var holders = new int[pool.Length];
        var overlaps = 0;
        var seed = Random.Shared.Next();
        var providers = new List<ILockProvider>();
        for (var i = 0; i < Contenders; i++)
        {
            providers.Add(await NewProviderAsync());
        }

        var contenders = Enumerable.Range(0, Contenders).Select(c => Task.Run(async () =>
        {
            var random = new Random(seed + c);
            for (var round = 0; round < Rounds; round++)
            {
                // Shuffled subsets of 1-3 names: callers ask in different orders for sets that overlap.
                var picked = pool.Select((name, i) => (name, i)).OrderBy(_ => random.Next()).Take(random.Next(1, 4)).ToList();
                await using var all = await providers[c].AcquireAllAsync(picked.Select(p => p.name), Patience, cancellationToken: TestCancellation);
                foreach (var (_, i) in picked)
                {
                    if (Interlocked.Increment(ref holders[i]) != 1)
                    {
                        Interlocked.Increment(ref overlaps);
                    }
                }

                await Task.Yield();
                foreach (var (_, i) in picked)
                {
                    Interlocked.Decrement(ref holders[i]);
                }
            }
        }, TestCancellation)).ToList();

        await Within(Task.WhenAll(contenders), $"{Contenders} contenders taking random overlapping sets {Rounds} times each (seed {seed})");
        Assert.True(overlaps == 0, $"{overlaps} times two contenders held one lock at once (seed {seed}).");
        foreach (var name in pool)
        {
            await AssertNothingLeftAsync(LockKind.Lock, name);
        }
    }
}
