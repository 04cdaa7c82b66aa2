using Latchkey.Embedded;

namespace Latchkey.Tests;

/// <summary>memory:// keeps at most <see cref="MemoryLockSpace.IdleStatesKept"/> states of names that nobody holds, waits for or watches.</summary>
public sealed class MemoryIdleStateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CyclingManyNames_LeavesNoState_AndTokensKeepIncreasingPerName()
    {
        var space = $"idle-{Guid.NewGuid():N}";
        await using var provider = LockProvider.Connect($"memory://{space}");
        var last = 0L;
        for (var batch = 0; batch < 100_000 / 32; batch++)
        {
            var held = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => provider.AcquireAsync($"order-{batch * 32 + i}", TimeSpan.FromSeconds(5), Ct).AsTask()));
            foreach (var handle in held)
            {
                await handle.ReleaseAsync();
            }
        }

        Assert.InRange(MemoryLockSpace.Named(space).StateCount, 0, MemoryLockSpace.IdleStatesKept);

        // A name whose state retired starts again above every token it had before.
        for (var i = 0; i < 3; i++)
        {
            await using var again = await provider.AcquireAsync("order-7", TimeSpan.FromSeconds(5), Ct);
            Assert.True(again.FencingToken > last);
            last = again.FencingToken;
        }

        Assert.InRange(MemoryLockSpace.Named(space).StateCount, 0, MemoryLockSpace.IdleStatesKept);
    }

    [Fact]
    public async Task AWaiterThatGivesUp_AndAWatcherThatStops_LeaveNoState()
    {
        var space = $"idle-{Guid.NewGuid():N}";
        await using var provider = LockProvider.Connect($"memory://{space}");
        for (var i = 0; i < MemoryLockSpace.IdleStatesKept; i++)
        {
            await (await provider.AcquireAsync($"idle-{i}", TimeSpan.FromSeconds(5), Ct)).ReleaseAsync(); // the states a space keeps
        }

        Assert.Equal(MemoryLockSpace.IdleStatesKept, MemoryLockSpace.Named(space).StateCount);
        var held = await provider.AcquireAsync("busy", TimeSpan.FromSeconds(5), Ct);
        Assert.Null(await provider.TryAcquireAsync("busy", TimeSpan.FromMilliseconds(50), Ct));

        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            var backend = ((LockProvider)provider).Backend;
            var seen = 0;
            await foreach (var status in backend.WatchStatusAsync(LockKind.Lock, "busy", "busy", stop.Token).WithCancellation(stop.Token))
            {
                if (++seen == 1)
                {
                    Assert.Single(status.Holders);
                    await held.ReleaseAsync(); // the state retires; the watcher moves to the name's next state
                }
                else
                {
                    Assert.Empty(status.Holders);
                    break;
                }
            }
        }

        Assert.Equal(MemoryLockSpace.IdleStatesKept, MemoryLockSpace.Named(space).StateCount);
        Assert.Empty((await provider.GetStatusAsync(LockKind.Lock, "never-used", Ct)).Holders);
        Assert.Equal(MemoryLockSpace.IdleStatesKept, MemoryLockSpace.Named(space).StateCount); // a status read makes no state
    }
}
