using Xunit;

namespace Latchkey.Conformance;

public abstract partial class LockConformanceSuite
{
    [Fact]
    public async Task Semaphore_AdmitsAtMostPermitsHolders()
    {
        var name = UniqueName("sem");
        var other = (await NewProviderAsync()).CreateSemaphore(name, 3);
        var semaphore = Provider.CreateSemaphore(name, 3);
        var held = new List<ILockHandle>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await semaphore.AcquireAsync(Patience, TestCancellation));
        }

        Assert.Null(await other.TryAcquireAsync(cancellationToken: TestCancellation));
        await held[1].ReleaseAsync();
        await using var fourth = await other.TryAcquireAsync(Patience, TestCancellation);
        Assert.NotNull(fourth);
        Assert.Equal(3, semaphore.Permits);
        await held[0].ReleaseAsync();
        await held[2].ReleaseAsync();
    }

    [Fact]
    public async Task Semaphore_UnderContention_NeverExceedsPermits()
    {
        var name = UniqueName("sem");
        const int permits = 2;
        var providers = new[] { Provider, await NewProviderAsync(), await NewProviderAsync() };
        var inside = 0;
        var maxInside = 0;

        async Task Work(ILockProvider provider)
        {
            var semaphore = provider.CreateSemaphore(name, permits);
            for (var i = 0; i < ContentionIterations / 2; i++)
            {
                await using var handle = await semaphore.AcquireAsync(Patience, TestCancellation);
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                await Task.Yield();
                Interlocked.Decrement(ref inside);
            }
        }

        await Within(Task.WhenAll(providers.SelectMany(p => Enumerable.Range(0, 2).Select(_ => Task.Run(() => Work(p))))), "the semaphore contention run");
        Assert.InRange(maxInside, 1, permits);
        await AssertNothingLeftAsync(LockKind.Semaphore, name);
    }

    [Fact]
    public async Task Semaphore_TokensStrictlyIncrease()
    {
        var semaphore = Provider.CreateSemaphore(UniqueName("sem"), 2);
        await using var a = await semaphore.AcquireAsync(Patience, TestCancellation);
        await using var b = await semaphore.AcquireAsync(Patience, TestCancellation);
        Assert.True(b.FencingToken > a.FencingToken, $"{b.FencingToken} after {a.FencingToken}");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
