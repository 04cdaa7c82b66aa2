namespace Latchkey.File.Tests;

/// <summary>Behaviours particular to locks that live in files.</summary>
public sealed class LockFileTests : FileTests
{
    [Fact]
    public async Task Lost_FiresWhenTheLockFileIsDeleted()
    {
        await using var handle = await NewProvider().CreateLock("fragile").AcquireAsync(cancellationToken: Ct);
        Assert.False(handle.Lost.IsCancellationRequested);
        var lost = new TaskCompletionSource();
        using var registration = handle.Lost.Register(() => lost.TrySetResult());
        System.IO.File.Delete(Path.Combine(Dir.FullName, "lock", "fragile.lock"));
        await Within(lost.Task, "Lost after the lock file was deleted");
    }

    [Fact]
    public async Task Acquire_WaitingLongerThanTheWholeBackOff_StillSucceeds()
    {
        // Long enough for the fallback back-off to climb to its cap and stay there for many rounds.
        var provider = NewProvider();
        var held = await provider.CreateLock("long").AcquireAsync(cancellationToken: Ct);
        var waiting = NewProvider().CreateLock("long").AcquireAsync(cancellationToken: Ct).AsTask();
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.False(waiting.IsCompleted);
        await held.ReleaseAsync();
        await using var handle = await Within(waiting, "the acquire after a long wait");
        Assert.True(handle.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task Election_Proclaim_IsVisibleToOtherProvidersAndObservers()
    {
        var provider = NewProvider();
        await using var leadership = await provider.CreateElection("primary").CampaignAsync("first", cancellationToken: Ct);
        var observer = NewProvider().CreateElection("primary");
        await using var changes = observer.ObserveAsync(Ct).GetAsyncEnumerator(Ct);
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(new LeaderInfo("first", leadership.FencingToken), changes.Current);

        await leadership.ProclaimAsync("second", Ct);
        Assert.True(await Within(changes.MoveNextAsync().AsTask(), "the proclaimed value"));
        Assert.Equal(new LeaderInfo("second", leadership.FencingToken), changes.Current);

        await leadership.ResignAsync();
        Assert.True(await Within(changes.MoveNextAsync().AsTask(), "the resignation"));
        Assert.Null(changes.Current);
    }

    [Fact]
    public async Task Watch_SeesAnotherProcessAcquireAndDie()
    {
        var provider = NewProvider();
        await using var updates = ((LockProvider)provider).Backend.WatchStatusAsync(LockKind.Lock, "watched", "watched", Ct).GetAsyncEnumerator(Ct);
        Assert.True(await updates.MoveNextAsync());
        Assert.False(updates.Current.IsHeld);

        await using var worker = Worker.Start("hold", Uri, "lock", "watched");
        await worker.WaitUntilHeldAsync();
        while (!updates.Current.IsHeld)
        {
            Assert.True(await Within(updates.MoveNextAsync().AsTask(), "an update showing the holder"));
        }

        await worker.KillAsync();
        while (updates.Current.IsHeld)
        {
            Assert.True(await Within(updates.MoveNextAsync().AsTask(), "an update showing the holder gone"));
        }
    }

    [Fact]
    public async Task Watch_SeesAWaiterOfAnotherProviderArriveAndLeave()
    {
        var provider = NewProvider();
        await using var held = await provider.CreateLock("queued").AcquireAsync(cancellationToken: Ct);
        await using var updates = ((LockProvider)provider).Backend.WatchStatusAsync(LockKind.Lock, "queued", "queued", Ct).GetAsyncEnumerator(Ct);
        Assert.True(await updates.MoveNextAsync());
        Assert.Empty(updates.Current.Waiters);

        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = NewProvider().CreateLock("queued").AcquireAsync(cancellationToken: giveUp.Token).AsTask();
        while (updates.Current.Waiters.Count == 0)
        {
            Assert.True(await Within(updates.MoveNextAsync().AsTask(), "an update showing the waiter"));
        }

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        while (updates.Current.Waiters.Count != 0)
        {
            Assert.True(await Within(updates.MoveNextAsync().AsTask(), "an update showing the waiter gone"));
        }
    }

    [Fact]
    public async Task ReaderWriter_TwoQueuedWritersOfOneProvider_BothGetInAfterTheReader()
    {
        var provider = NewProvider();
        var writers = provider.CreateReaderWriterLock("race");
        var readers = NewProvider().CreateReaderWriterLock("race");
        for (var round = 0; round < 20; round++)
        {
            var reader = await readers.AcquireReadAsync(cancellationToken: Ct);
            using var start = new ManualResetEventSlim();
            var racing = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                start.Wait(Ct);
                await using var handle = await writers.AcquireWriteAsync(cancellationToken: Ct);
            })).ToList();
            start.Set();
            await WaitForStatusAsync(provider, LockKind.ReaderWriter, "race", s => s.Waiters.Count == 2, "both writers to queue");
            await reader.ReleaseAsync();
            await Within(Task.WhenAll(racing), $"both writers of round {round}");
        }
    }

    [Fact]
    public async Task Status_ListsEachReaderWithItsToken()
    {
        var provider = NewProvider();
        await using var first = await provider.CreateReaderWriterLock("shared").AcquireReadAsync(cancellationToken: Ct);
        await using var second = await NewProvider().CreateReaderWriterLock("shared").AcquireReadAsync(cancellationToken: Ct);
        var holders = (await provider.GetStatusAsync(LockKind.ReaderWriter, "shared", Ct)).Holders;
        Assert.Equal([first.FencingToken, second.FencingToken], holders.Select(h => h.Sequence!.Value).Order());
        Assert.All(holders, h => Assert.Equal(LockAccess.Shared, h.Access));

        await second.ReleaseAsync();
        Assert.Equal(first.FencingToken, Assert.Single((await provider.GetStatusAsync(LockKind.ReaderWriter, "shared", Ct)).Holders).Sequence);
    }
}
