using System.Diagnostics;
using Latchkey.Embedded;

namespace Latchkey.File.Tests;

/// <summary>
/// The portable <c>file://</c> (<c>?impl=portable</c>) where the conformance suite cannot look: which implementation a
/// connection string picks, and other processes that hold, wait and die.
/// </summary>
public sealed class PortableFileTests : FileTests
{
    protected override string Uri => base.Uri + "?impl=portable";

    [Fact]
    public async Task Connect_PicksFlockByDefaultOnLinux_AndThePortableImplementationWhenAsked()
    {
        await using var byDefault = (LockProvider)LockProvider.Connect(base.Uri);
        await using var flock = (LockProvider)LockProvider.Connect(base.Uri + "?impl=flock");
        await using var portable = (LockProvider)LockProvider.Connect(Uri);
        Assert.IsType<FileLockBackend>(byDefault.Backend);
        Assert.IsType<FileLockBackend>(flock.Backend);
        Assert.IsType<FilePortableLockBackend>(portable.Backend);
        Assert.Equal(byDefault.Capabilities, portable.Capabilities);
        Assert.False(portable.Capabilities.Fair);
        Assert.False(portable.Capabilities.HerdFree);
        Assert.True(portable.Capabilities.DurableFencingTokens);
    }

    [Fact]
    public void Connect_WithAnUnknownImplementation_ThrowsFormatExceptionNamingIt()
    {
        var error = Assert.Throws<FormatException>(() => LockProvider.Connect(base.Uri + "?impl=fcntl"));
        Assert.Contains("'fcntl'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_WhenHolderProcessIsKilled_PassesOnWithoutWaitingForATtl()
    {
        await using var worker = Worker.Start("hold", Uri, "lock", "victim");
        var workerToken = await worker.WaitUntilHeldAsync();
        var waiting = NewProvider().CreateLock("victim").AcquireAsync(cancellationToken: Ct).AsTask();
        Assert.False(waiting.IsCompleted, "acquired while another process held the lock");

        var clock = Stopwatch.StartNew();
        await worker.KillAsync();
        await using var handle = await waiting.WaitAsync(Patience, Ct);

        // The OS closed the dead process's handles; the waiter's back-off (at most 50 ms) found the file free.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"hand-off took {clock.Elapsed}");
        Assert.True(handle.FencingToken > workerToken, $"{handle.FencingToken} after {workerToken}");
    }

    [Fact]
    public async Task Status_ShowsTheHolderProcessAndItsWaiter_AndForgetsBothOnceKilled()
    {
        await using var holder = Worker.Start("hold", Uri, "lock", "watched");
        var token = await holder.WaitUntilHeldAsync();
        await using var waiter = Worker.Start("hold", Uri, "lock", "watched");
        var provider = NewProvider();
        await Conformance.Polling.UntilAsync(async () => (await provider.GetStatusAsync(LockKind.Lock, "watched", Ct)).Waiters.Count == 1, "the second worker to queue", Patience, Ct);
        var status = await provider.GetStatusAsync(LockKind.Lock, "watched", Ct);
        var held = Assert.Single(status.Holders);
        Assert.Equal($"pid-{holder.Id}", held.Id);
        Assert.Equal(token, held.Sequence);
        Assert.Equal($"pid-{waiter.Id}", Assert.Single(status.Waiters).Id);

        await waiter.KillAsync();
        await holder.KillAsync();
        status = await provider.GetStatusAsync(LockKind.Lock, "watched", Ct);
        Assert.Empty(status.Holders);
        Assert.Empty(status.Waiters);
        Assert.Empty(Directory.GetFiles(Path.Combine(Dir.FullName, "lock"), "watched.held-*").Concat(Directory.GetFiles(Path.Combine(Dir.FullName, "lock"), "watched.wait-*")));
    }

    [Fact]
    public async Task ReaderWriter_WriterWaitingForAnotherProcessesReader_BlocksNewReaders_AndGetsInWhenItDies()
    {
        await using var reader = Worker.Start("hold", Uri, "read", "table");
        await reader.WaitUntilHeldAsync();
        var table = NewProvider().CreateReaderWriterLock("table");
        var writer = table.AcquireWriteAsync(cancellationToken: Ct).AsTask();
        await Conformance.Polling.UntilAsync(async () => (await NewProvider().GetStatusAsync(LockKind.ReaderWriter, "table", Ct)).Waiters.Count == 1, "the writer to queue", Patience, Ct);
        Assert.Null(await NewProvider().CreateReaderWriterLock("table").TryAcquireReadAsync(cancellationToken: Ct));

        await reader.KillAsync();
        await using var held = await writer.WaitAsync(Patience, Ct);
        Assert.Equal(LockAccess.Exclusive, Assert.Single((await NewProvider().GetStatusAsync(LockKind.ReaderWriter, "table", Ct)).Holders).Access);
    }

    [Fact]
    public async Task Release_WakesAWaiterOfAnotherProcess()
    {
        var mine = await NewProvider().CreateLock("baton").AcquireAsync(cancellationToken: Ct);
        await using var worker = Worker.Start("hold", Uri, "lock", "baton");
        await Conformance.Polling.UntilAsync(async () => (await NewProvider().GetStatusAsync(LockKind.Lock, "baton", Ct)).Waiters.Count == 1, "the worker to queue", Patience, Ct);
        await mine.ReleaseAsync();
        Assert.True(await worker.WaitUntilHeldAsync() > mine.FencingToken);
    }

    [Fact]
    public async Task ManyProvidersInOneProcess_AllConnect_AndStillWakeOnRelease()
    {
        // More providers than a user may have inotify instances (128 by default): each provider's watcher needs one,
        // and one that cannot have it falls back to the back-off.
        var providers = Enumerable.Range(0, 150).Select(_ => NewProvider()).ToList();
        foreach (var provider in providers)
        {
            await provider.ConnectAsync(Ct);
        }

        var held = await providers[0].CreateLock("crowded").AcquireAsync(cancellationToken: Ct);
        var waiting = providers[^1].CreateLock("crowded").AcquireAsync(cancellationToken: Ct).AsTask();
        await Conformance.Polling.UntilAsync(async () => (await providers[1].GetStatusAsync(LockKind.Lock, "crowded", Ct)).Waiters.Count == 1, "the last provider to queue", Patience, Ct);
        await held.ReleaseAsync();
        await using var next = await waiting.WaitAsync(Patience, Ct);
        Assert.True(next.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task Lost_FiresWhenTheHeldFileIsDeleted()
    {
        await using var held = await NewProvider().CreateLock("doomed").AcquireAsync(cancellationToken: Ct);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = held.Lost.Register(lost.SetResult);
        System.IO.File.Delete(Path.Combine(Dir.FullName, "lock", "doomed.lock")); // Unix allows it; Windows would refuse.
        await lost.Task.WaitAsync(Patience, Ct);
        Assert.False(held.IsHeld);
    }
}

