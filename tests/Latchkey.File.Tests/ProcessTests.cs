using System.Diagnostics;

namespace Latchkey.File.Tests;

/// <summary>Locks shared with other processes, and what happens when those processes die.</summary>
public sealed class ProcessTests : FileTests
{
    [Fact]
    public async Task Lock_HeldByAnotherProcess_IsNotAvailableHere()
    {
        await using var worker = Worker.Start("hold", Uri, "lock", "shared");
        await worker.WaitUntilHeldAsync();
        Assert.Null(await NewProvider().CreateLock("shared").TryAcquireAsync(cancellationToken: Ct));
        Assert.Equal(0, await worker.StopAsync());
        await using var mine = await NewProvider().CreateLock("shared").TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(mine);
    }

    [Fact]
    public async Task Acquire_WhenHolderProcessIsKilled_PassesOnWithoutWaitingForATtl()
    {
        await using var worker = Worker.Start("hold", Uri, "lock", "victim");
        var workerToken = await worker.WaitUntilHeldAsync();
        var waiting = NewProvider().CreateLock("victim", new LockOptions { Ttl = TimeSpan.FromMinutes(10) }).AcquireAsync(cancellationToken: Ct).AsTask();
        Assert.False(waiting.IsCompleted, "acquired while another process held the lock");

        var clock = Stopwatch.StartNew();
        await worker.KillAsync();
        await using var handle = await Within(waiting, "the hand-off after SIGKILL");

        // No TTL is involved: the kernel dropped the lock when the process died.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"hand-off took {clock.Elapsed}");
        Assert.True(handle.FencingToken > workerToken, $"{handle.FencingToken} after {workerToken}");
    }

    [Fact]
    public async Task Status_ShowsHolderProcessAndToken_ThenNothingOnceItIsKilled()
    {
        await using var worker = Worker.Start("hold", Uri, "lock", "watched");
        var token = await worker.WaitUntilHeldAsync();
        var provider = NewProvider();
        var status = await provider.GetStatusAsync(LockKind.Lock, "watched", Ct);
        var holder = Assert.Single(status.Holders);
        Assert.Equal($"pid-{worker.Id}", holder.Id);
        Assert.Equal(token, holder.Sequence);
        Assert.NotNull(holder.Since);

        await worker.KillAsync();
        Assert.Empty((await provider.GetStatusAsync(LockKind.Lock, "watched", Ct)).Holders);
    }

    [Fact]
    public async Task Status_WaiterOfAKilledProcess_IsRemoved()
    {
        var provider = NewProvider();
        await using var held = await provider.CreateLock("queue").AcquireAsync(cancellationToken: Ct);
        await using var worker = Worker.Start("hold", Uri, "lock", "queue");
        var status = await WaitForStatusAsync(provider, LockKind.Lock, "queue", s => s.Waiters.Count == 1, "the worker to queue");
        Assert.StartsWith($"pid-{worker.Id}/", status.Waiters[0].Id, StringComparison.Ordinal);

        await worker.KillAsync();
        Assert.Empty((await provider.GetStatusAsync(LockKind.Lock, "queue", Ct)).Waiters);
        Assert.Empty(Directory.GetFiles(Path.Combine(Dir.FullName, "lock"), "queue.wait-*"));
    }

    [Fact]
    public async Task HolderKilled_WhileItsChildProcessLives_LockIsFree()
    {
        // The lock file is opened close-on-exec: a child must not inherit the open file and keep the
        // lock alive after its parent died.
        await using var worker = Worker.Start("spawn-hold", Uri, "inherited");
        await worker.WaitUntilHeldAsync();
        using var child = Process.GetProcessById(int.Parse((await worker.ReadLineAsync())["child ".Length..], System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var waiting = NewProvider().CreateLock("inherited").AcquireAsync(cancellationToken: Ct).AsTask();
            await worker.KillAsync();
            await using var mine = await Within(waiting, "the lock after its holder died");
            Assert.False(child.HasExited, "the child should still be alive");
        }
        finally
        {
            child.Kill();
        }
    }

    [Fact]
    public async Task Semaphore_PermitOfAKilledProcess_ComesBack()
    {
        await using var worker = Worker.Start("hold", Uri, "semaphore", "pool", "2");
        await worker.WaitUntilHeldAsync();
        var semaphore = NewProvider().CreateSemaphore("pool", 2);
        await using var first = await semaphore.TryAcquireAsync(cancellationToken: Ct);
        Assert.NotNull(first);
        Assert.Null(await semaphore.TryAcquireAsync(cancellationToken: Ct));
        Assert.Equal(2, (await NewProvider().GetStatusAsync(LockKind.Semaphore, "pool", Ct)).Holders.Count);

        var waiting = semaphore.AcquireAsync(cancellationToken: Ct).AsTask();
        await worker.KillAsync();
        await using var second = await Within(waiting, "the permit after SIGKILL");
        Assert.True(second.FencingToken > first!.FencingToken);
    }

    [Fact]
    public async Task ReaderWriter_WriterWaitingForAnotherProcessesReader_BlocksNewReaders_AndGetsInWhenItDies()
    {
        await using var worker = Worker.Start("hold", Uri, "read", "doc");
        await worker.WaitUntilHeldAsync();
        var writerProvider = NewProvider();
        var writer = writerProvider.CreateReaderWriterLock("doc").AcquireWriteAsync(cancellationToken: Ct).AsTask();
        var status = await WaitForStatusAsync(writerProvider, LockKind.ReaderWriter, "doc", s => s.Waiters.Count == 1, "the writer to queue");
        Assert.Equal(LockAccess.Shared, Assert.Single(status.Holders).Access);

        Assert.Null(await NewProvider().CreateReaderWriterLock("doc").TryAcquireReadAsync(cancellationToken: Ct));
        await worker.KillAsync();
        await using var held = await Within(writer, "the writer after the reader died");
        Assert.Equal(LockAccess.Exclusive, Assert.Single((await writerProvider.GetStatusAsync(LockKind.ReaderWriter, "doc", Ct)).Holders).Access);
    }

    [Fact]
    public async Task Election_LeaderProcessKilled_NextCandidateLeadsWithHigherTerm()
    {
        await using var worker = Worker.Start("hold", Uri, "election", "primary", "worker-value");
        var term = await worker.WaitUntilHeldAsync();
        var provider = NewProvider();
        var election = provider.CreateElection("primary");
        var leader = await election.GetLeaderAsync(Ct);
        Assert.Equal(new LeaderInfo("worker-value", term), leader);

        var campaign = election.CampaignAsync("mine", cancellationToken: Ct).AsTask();
        await worker.KillAsync();
        await using var leadership = await Within(campaign, "leadership after the leader died");
        Assert.True(leadership.FencingToken > term);
        Assert.Equal(new LeaderInfo("mine", leadership.FencingToken), await NewProvider().CreateElection("primary").GetLeaderAsync(Ct));
    }

    [Fact]
    public async Task ReaderWriter_AcrossProcesses_AWriterExcludesEveryone()
    {
        var sections = await RunJournalsAsync(["write", "write", "read", "read", "read"], "doc", permits: null);
        Assert.Equal(5 * Iterations, sections.Count);
        foreach (var writer in sections.Where(s => s.Kind == "write"))
        {
            var overlapping = sections.FirstOrDefault(s => s != writer && s.Entered < writer.Exited && writer.Entered < s.Exited);
            Assert.True(overlapping == default, $"a writer [{writer.Entered}, {writer.Exited}] overlapped a {overlapping.Kind} [{overlapping.Entered}, {overlapping.Exited}]");
        }
    }

    [Fact]
    public async Task Semaphore_AcrossProcesses_NeverAdmitsMoreThanItsPermits()
    {
        var sections = await RunJournalsAsync(["semaphore", "semaphore", "semaphore", "semaphore"], "pool", permits: 2);
        Assert.Equal(4 * Iterations, sections.Count);
        var events = sections.SelectMany(s => new[] { (At: s.Entered, Delta: 1), (At: s.Exited, Delta: -1) }).OrderBy(e => e.At).ThenBy(e => e.Delta);
        var inside = 0;
        foreach (var (at, delta) in events)
        {
            inside += delta;
            Assert.True(inside <= 2, $"{inside} holders of a 2-permit semaphore at {at}");
        }
    }

    private const int Iterations = 60;

    private async Task<List<(string Kind, long Entered, long Exited)>> RunJournalsAsync(string[] kinds, string name, int? permits)
    {
        var journal = Path.Combine(Dir.FullName, "journal");
        var workers = kinds.Select(kind => Worker.Start(["journal", Uri, kind, name, Iterations.ToString(System.Globalization.CultureInfo.InvariantCulture), journal, .. permits is { } p ? new[] { p.ToString(System.Globalization.CultureInfo.InvariantCulture) } : []])).ToList();
        var sections = new List<(string Kind, long Entered, long Exited)>();
        try
        {
            for (var i = 0; i < workers.Count; i++)
            {
                Assert.Equal(0, await workers[i].StopAsync());
                foreach (var line in await System.IO.File.ReadAllLinesAsync($"{journal}.{workers[i].Id}", Ct))
                {
                    var parts = line.Split(' ');
                    sections.Add((kinds[i], long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }

        return sections;
    }
}
