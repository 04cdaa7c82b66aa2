namespace Latchkey.Tests;

public sealed class ReentrancyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NestedAcquireInCalledAsyncMethod_IsReentrant()
    {
        await using var provider = LockProvider.Connect($"memory://re-{Guid.NewGuid():N}");
        var theLock = provider.CreateLock("r", new LockOptions { Reentrant = true });
        await using var outer = await theLock.AcquireAsync(cancellationToken: Ct);

        async Task<long> InnerAsync()
        {
            await Task.Yield();
            await using var inner = await theLock.AcquireAsync(TimeSpan.FromSeconds(1), Ct);
            return inner.FencingToken;
        }

        Assert.Equal(outer.FencingToken, await InnerAsync());
    }

    [Fact]
    public async Task ReentrantHold_OnOneLockName_DoesNotLeakToOtherNames()
    {
        var space = $"memory://re-{Guid.NewGuid():N}";
        await using var provider = LockProvider.Connect(space);
        await using var other = LockProvider.Connect(space);
        var options = new LockOptions { Reentrant = true };
        await using var a = await provider.CreateLock("a", options).AcquireAsync(cancellationToken: Ct);
        await using var bElsewhere = await other.CreateLock("b").AcquireAsync(cancellationToken: Ct);
        Assert.Null(await provider.CreateLock("b", options).TryAcquireAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task AfterOutermostRelease_NextAcquireGetsNewToken()
    {
        await using var provider = LockProvider.Connect($"memory://re-{Guid.NewGuid():N}");
        var theLock = provider.CreateLock("r", new LockOptions { Reentrant = true });
        long first;
        await using (var outer = await theLock.AcquireAsync(cancellationToken: Ct))
        {
            first = outer.FencingToken;
        }

        await using var again = await theLock.AcquireAsync(cancellationToken: Ct);
        Assert.True(again.FencingToken > first);
    }

    [Fact]
    public async Task InnerHandleReleasedTwice_CountsOnce()
    {
        await using var provider = LockProvider.Connect($"memory://re-{Guid.NewGuid():N}");
        var theLock = provider.CreateLock("r", new LockOptions { Reentrant = true });
        var outer = await theLock.AcquireAsync(cancellationToken: Ct);
        var inner = await theLock.AcquireAsync(cancellationToken: Ct);
        await inner.ReleaseAsync();
        await inner.ReleaseAsync();
        var status = await provider.GetStatusAsync(LockKind.Lock, "r", Ct);
        Assert.Single(status.Holders);
        await outer.ReleaseAsync();
        status = await provider.GetStatusAsync(LockKind.Lock, "r", Ct);
        Assert.Empty(status.Holders);
    }
}
