using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Tests;

/// <summary>Timeouts run on the provider's <see cref="TimeProvider"/>: a fake clock drives them without sleeping.</summary>
public sealed class TimeoutTests
{
    [Fact]
    public async Task Acquire_TimesOutExactlyWhenTheClockPassesTheTimeout()
    {
        var clock = new FakeTimeProvider();
        await using var provider = LockProvider.Connect($"memory://timeout-{Guid.NewGuid():N}", new LockProviderOptions { TimeProvider = clock });
        var theLock = provider.CreateLock("t");
        await using var held = await theLock.AcquireAsync(cancellationToken: TestContext.Current.CancellationToken);
        var waiting = theLock.AcquireAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken).AsTask();
        clock.Advance(TimeSpan.FromSeconds(4.999));
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => waiting);
        Assert.Contains("lock 't'", error.Message, StringComparison.Ordinal);
        var status = await provider.GetStatusAsync(LockKind.Lock, "t", TestContext.Current.CancellationToken);
        Assert.Empty(status.Waiters);
    }

    [Fact]
    public async Task TryAcquire_ReturnsNullWhenTheClockPassesTheTimeout()
    {
        var clock = new FakeTimeProvider();
        await using var provider = LockProvider.Connect($"memory://timeout-{Guid.NewGuid():N}", new LockProviderOptions { TimeProvider = clock });
        var theLock = provider.CreateLock("t");
        await using var held = await theLock.AcquireAsync(cancellationToken: TestContext.Current.CancellationToken);
        var waiting = theLock.TryAcquireAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken).AsTask();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await waiting);
    }

    [Fact]
    public async Task Acquire_ReleasedBeforeTimeout_Succeeds()
    {
        var clock = new FakeTimeProvider();
        await using var provider = LockProvider.Connect($"memory://timeout-{Guid.NewGuid():N}", new LockProviderOptions { TimeProvider = clock });
        var theLock = provider.CreateLock("t");
        var held = await theLock.AcquireAsync(cancellationToken: TestContext.Current.CancellationToken);
        var waiting = theLock.AcquireAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken).AsTask();
        clock.Advance(TimeSpan.FromSeconds(3));
        await held.ReleaseAsync();
        await using var next = await waiting;
        Assert.True(next.FencingToken > held.FencingToken);
    }
}
