using Xunit;

namespace Latchkey.Conformance;

public abstract partial class LockConformanceSuite
{
    /// <summary>Acquire+release cycles per task in the contention test.</summary>
    protected virtual int ContentionIterations => 25;

    [Fact]
    public async Task TryAcquire_WhenFree_ReturnsHandleWithPositiveToken()
    {
        var name = UniqueName();
        await using var handle = await Provider.CreateLock(name).TryAcquireAsync(cancellationToken: TestCancellation);
        Assert.NotNull(handle);
        Assert.Equal(name, handle.Name);
        Assert.True(handle.FencingToken > 0, $"token {handle.FencingToken}");
        Assert.False(handle.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task TryAcquire_WhenHeldByAnotherProvider_ReturnsNull()
    {
        var name = UniqueName();
        var other = await NewProviderAsync();
        await using var held = await Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        var second = await other.CreateLock(name).TryAcquireAsync(cancellationToken: TestCancellation);
        Assert.Null(second);
    }

    [Fact]
    public async Task TryAcquire_WhenHeldInSameProvider_ReturnsNull()
    {
        var theLock = Provider.CreateLock(UniqueName());
        await using var held = await theLock.AcquireAsync(cancellationToken: TestCancellation);
        Assert.Null(await theLock.TryAcquireAsync(cancellationToken: TestCancellation));
    }

    [Fact]
    public async Task TryAcquire_WithTimeoutWhileHeld_ReturnsNullAndLeavesNoWaiter()
    {
        var name = UniqueName();
        var other = await NewProviderAsync();
        var held = await Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        var second = await other.CreateLock(name).TryAcquireAsync(TimeSpan.FromMilliseconds(200), TestCancellation);
        Assert.Null(second);
        await held.ReleaseAsync();
        await AssertNothingLeftAsync(LockKind.Lock, name);
    }

    [Fact]
    public async Task Acquire_WithTimeoutWhileHeld_ThrowsTimeoutException()
    {
        var name = UniqueName();
        var other = await NewProviderAsync();
        await using var held = await Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        await Assert.ThrowsAsync<TimeoutException>(async () => await other.CreateLock(name).AcquireAsync(TimeSpan.FromMilliseconds(200), TestCancellation));
    }

    [Fact]
    public async Task Acquire_WhenCancelledWhileWaiting_ThrowsAndLeavesNothingBehind()
    {
        var name = UniqueName();
        var other = await NewProviderAsync();
        var held = await Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        using var cancel = new CancellationTokenSource();
        var waiting = other.CreateLock(name).AcquireAsync(cancellationToken: cancel.Token).AsTask();
        AssertPending(waiting, "an acquire of a held lock");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within(waiting, "cancellation"));
        await held.ReleaseAsync();
        await AssertNothingLeftAsync(LockKind.Lock, name);
    }

    [Fact]
    public async Task Acquire_WithCancelledToken_ThrowsWithoutAcquiring()
    {
        var name = UniqueName();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Provider.CreateLock(name).AcquireAsync(cancellationToken: new CancellationToken(true)));
        await AssertNothingLeftAsync(LockKind.Lock, name);
    }

    [Fact]
    public async Task Release_WhenWaiterQueued_HandsLockToWaiter()
    {
        var name = UniqueName();
        var other = await NewProviderAsync();
        var held = await Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        var waiting = other.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation).AsTask();
        AssertPending(waiting, "an acquire of a held lock");
        await held.ReleaseAsync();
        await using var next = await Within(waiting, "hand-off to the waiter");
        Assert.True(next.FencingToken > held.FencingToken, $"{next.FencingToken} after {held.FencingToken}");
    }

    [Fact]
    public async Task Release_Twice_IsHarmless()
    {
        var theLock = Provider.CreateLock(UniqueName());
        var handle = await theLock.AcquireAsync(cancellationToken: TestCancellation);
        await handle.ReleaseAsync();
        await handle.ReleaseAsync();
        await using var again = await theLock.TryAcquireAsync(cancellationToken: TestCancellation);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task Release_OfStaleHandle_DoesNotFreeNewHolder()
    {
        var name = UniqueName();
        var other = await NewProviderAsync();
        var stale = await Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        await stale.ReleaseAsync();
        await using var current = await other.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        await stale.ReleaseAsync();
        await stale.DisposeAsync();
        Assert.Null(await Provider.CreateLock(name).TryAcquireAsync(cancellationToken: TestCancellation));
    }

    [Fact]
    public async Task FencingTokens_StrictlyIncreaseAcrossHoldersAndProviders()
    {
        var name = UniqueName();
        var providers = new[] { Provider, await NewProviderAsync(), await NewProviderAsync() };
        var last = 0L;
        for (var i = 0; i < 9; i++)
        {
            await using var handle = await providers[i % 3].CreateLock(name).AcquireAsync(Patience, TestCancellation);
            Assert.True(handle.FencingToken > last, $"token {handle.FencingToken} after {last}");
            last = handle.FencingToken;
        }
    }

    [Fact]
    public async Task FencingTokens_OfNewProvider_ContinueAboveEarlierOnes()
    {
        Assert.SkipUnless(Provider.Capabilities.DurableFencingTokens || !Provider.Capabilities.CrossProcess, "Tokens are not promised to be durable.");
        var name = UniqueName();
        long first;
        await using (var handle = await Provider.CreateLock(name).AcquireAsync(Patience, TestCancellation))
        {
            first = handle.FencingToken;
        }

        var fresh = await NewProviderAsync();
        await using var next = await fresh.CreateLock(name).AcquireAsync(Patience, TestCancellation);
        Assert.True(next.FencingToken > first, $"{next.FencingToken} after {first}");
    }

    [Fact]
    public async Task MutualExclusion_UnderContention_NoOverlapAndNoLostUpdate()
    {
        var name = UniqueName();
        var providers = new[] { Provider, await NewProviderAsync(), await NewProviderAsync() };
        const int tasksPerProvider = 4;
        var outcome = await Within(ContentionLoad.RunAsync(providers, name, providers.Length * tasksPerProvider, 1, ContentionIterations, Patience, TestCancellation), "the contention run");
        Assert.Equal(0, outcome.Overlaps);
        Assert.Equal(0, outcome.TokensNotIncreasing);
        Assert.Equal(providers.Length * tasksPerProvider * ContentionIterations, outcome.Cycles);
        await AssertNothingLeftAsync(LockKind.Lock, $"{name}-0");
    }

    [Fact]
    public async Task MutualExclusion_ManyCallersOfOneProviderOnSeveralLocks_NoOverlapAndTokensIncrease()
    {
        const int callers = 24, locks = 4;
        var name = UniqueName("many");
        var outcome = await Within(ContentionLoad.RunAsync([Provider], name, callers, locks, ContentionIterations, Patience, TestCancellation), "the contention run");
        Assert.Equal(0, outcome.Overlaps);
        Assert.Equal(0, outcome.TokensNotIncreasing);
        Assert.Equal(callers * ContentionIterations, outcome.Cycles);
        for (var i = 0; i < locks; i++)
        {
            await AssertNothingLeftAsync(LockKind.Lock, $"{name}-{i}");
        }
    }

    [Fact]
    public async Task Dispose_OfProvider_ReleasesItsLocks()
    {
        var name = UniqueName();
        var owner = await CreateProviderAsync();
        _ = await owner.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        var waiting = Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation).AsTask();
        await owner.DisposeAsync();
        await using var next = await Within(waiting, "acquire after the holder's provider was disposed");
        Assert.True(next.FencingToken > 0);
    }

    [Fact]
    public async Task Acquire_OnDisposedProvider_ThrowsObjectDisposed()
    {
        var provider = await CreateProviderAsync();
        var theLock = provider.CreateLock(UniqueName());
        await provider.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await theLock.AcquireAsync(cancellationToken: TestCancellation));
    }

    [Fact]
    public async Task Reentrancy_Off_NestedAcquireInSameFlowWaits()
    {
        var theLock = Provider.CreateLock(UniqueName());
        await using var outer = await theLock.AcquireAsync(cancellationToken: TestCancellation);
        Assert.Null(await theLock.TryAcquireAsync(cancellationToken: TestCancellation));
    }

    [Fact]
    public async Task Reentrancy_On_NestedAcquireSharesTokenAndOutermostReleaseFrees()
    {
        var name = UniqueName();
        var theLock = Provider.CreateLock(name, new LockOptions { Reentrant = true });
        var other = (await NewProviderAsync()).CreateLock(name);
        var outer = await theLock.AcquireAsync(cancellationToken: TestCancellation);
        var inner = await theLock.AcquireAsync(TimeSpan.FromSeconds(1), TestCancellation);
        Assert.Equal(outer.FencingToken, inner.FencingToken);
        await inner.ReleaseAsync();
        Assert.Null(await other.TryAcquireAsync(cancellationToken: TestCancellation));
        await outer.ReleaseAsync();
        await using var after = await other.TryAcquireAsync(Patience, TestCancellation);
        Assert.NotNull(after);
    }

    [Fact]
    public async Task Reentrancy_On_OtherFlowStillExcluded()
    {
        var theLock = Provider.CreateLock(UniqueName(), new LockOptions { Reentrant = true });
        await using var outer = await theLock.AcquireAsync(cancellationToken: TestCancellation);
        // A flow started without the owner's execution context is a different owner. (Tasks started
        // normally inherit the context, and with it the ownership: that is the documented semantics.)
        var cancellation = TestCancellation;
        Task<ILockHandle?> fromOtherFlow;
        using (ExecutionContext.SuppressFlow())
        {
            fromOtherFlow = Task.Run(() => theLock.TryAcquireAsync(cancellationToken: cancellation).AsTask());
        }

        Assert.Null(await fromOtherFlow);
    }

    [Fact]
    public async Task Fairness_WhenPromised_WaitersServedInArrivalOrder()
    {
        Assert.SkipUnless(Provider.Capabilities.Fair, "Fairness is not promised by this backend.");
        var name = UniqueName();
        var held = await Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        var order = new List<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 5; i++)
        {
            var index = i;
            var provider = await NewProviderAsync();
            waiters.Add(Task.Run(async () =>
            {
                await using var handle = await provider.CreateLock(name).AcquireAsync(Patience, TestCancellation);
                lock (order)
                {
                    order.Add(index);
                }
            }));
            await WaitForStatusAsync(LockKind.Lock, name, s => s.Waiters.Count == index + 1, $"waiter {index} to queue");
        }

        await held.ReleaseAsync();
        await Within(Task.WhenAll(waiters), "all waiters served");
        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Fact]
    public async Task HerdFreedom_WhenPromised_EachReleaseWakesOneWaiter()
    {
        Assert.SkipUnless(Provider.Capabilities.HerdFree, "Herd-freedom is not promised by this backend.");
        var name = UniqueName();
        var waiterProvider = await NewProviderAsync();
        const int waiterCount = 6;
        var gate = new SemaphoreSlim(0);
        var held = await Provider.CreateLock(name).AcquireAsync(cancellationToken: TestCancellation);
        var waiters = Enumerable.Range(0, waiterCount).Select(_ => Task.Run(async () =>
        {
            await using var handle = await waiterProvider.CreateLock(name).AcquireAsync(Patience, TestCancellation);
            await gate.WaitAsync(TestCancellation);
        })).ToList();
        await WaitForStatusAsync(LockKind.Lock, name, s => s.Waiters.Count == waiterCount, "all waiters to queue");
        using var wakeupCounter = BackendCounter.WaiterWakeups(waiterProvider);
        await held.ReleaseAsync();
        for (var i = 0; i < waiterCount; i++)
        {
            gate.Release();
        }

        await Within(Task.WhenAll(waiters), "all waiters served");
        var wakeups = wakeupCounter.Value;
        Assert.True(wakeups == waiterCount, $"{waiterCount} releases woke waiters {wakeups} times; herd-free means once each.");
    }
}
