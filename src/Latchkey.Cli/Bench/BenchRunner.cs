using System.Diagnostics;
using System.Text.Json;

namespace Latchkey.Cli.Bench;

/// <summary>Runs a bench: contenders in this process, or spread over worker processes, then merges their figures.</summary>
public static class BenchRunner
{
    /// <summary>The hidden command a worker process runs.</summary>
    public const string WorkerCommand = "bench-worker";

    /// <summary>Runs the bench and returns its figures.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="progress">Told the run's progress, 0 to 1, every 100 ms.</param>
    /// <param name="workerApp">
    /// The app (its assembly's path) started for each worker process when <see cref="BenchOptions.Processes"/> is more
    /// than one; it must serve the <see cref="WorkerCommand"/>. Default: this CLI. The harness under <c>bench/</c>
    /// passes itself, so that its workers find the peers' backends too.
    /// </param>
    /// <param name="cancellationToken">Stops the run (contenders, workers) early.</param>
    public static async Task<BenchSummary> RunAsync(
        BenchOptions options, IProgress<double>? progress = null, string? workerApp = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var results = options.Processes == 1
            ? [await RunInProcessAsync(options, progress, cancellationToken)]
            : await RunInWorkersAsync(options, progress, workerApp, cancellationToken);
        return BenchSummary.Merge(options, results);
    }

    /// <summary>Runs contenders <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1 in this process.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="first">The first contender's number.</param>
    /// <param name="count">How many contenders.</param>
    /// <param name="board">Where releases are noted.</param>
    /// <param name="ready">Called once the providers are connected; returns the Stopwatch timestamp at which to start.</param>
    /// <param name="progress">Told the run's progress.</param>
    /// <param name="cancellationToken">Stops the run early.</param>
    public static async Task<ProcessResult> RunContendersAsync(
        BenchOptions options, int first, int count, ReleaseBoard board, Func<Task<long>> ready, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(ready);
        var lockOptions = new LockOptions { Ttl = options.Ttl };
        var providers = new List<ILockProvider>();
        try
        {
            var contenders = new List<Contender>(count);
            ILockProvider? shared = null;
            for (var i = first; i < first + count; i++)
            {
                var provider = shared;
                if (provider is null)
                {
                    provider = await Connections.OpenAsync(options.Backend, cancellationToken);
                    providers.Add(provider);
                    if (options.SharedProvider)
                    {
                        shared = provider;
                    }
                }

                var lockIndex = i % options.Locks;
                contenders.Add(new Contender(i, lockIndex, provider.CreateLock(options.LockName(lockIndex), lockOptions)));
            }

            var clock = BenchClock.StartingAt(await ready(), options);
            using var delay = new PreciseDelay();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            using var self = Process.GetCurrentProcess();
            var cpuBefore = self.TotalProcessorTime;
            var runs = contenders.Select(c => Task.Run(() => c.RunAsync(clock, options, board, delay, stop.Token), CancellationToken.None)).ToList();
            var all = Task.WhenAll(runs);

            long peakManaged = GC.GetTotalMemory(forceFullCollection: false);
            while (!all.IsCompleted)
            {
                peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(forceFullCollection: false));
                progress?.Report(clock.Progress());
                if (clock.UntilEnd() <= TimeSpan.Zero && !stop.IsCancellationRequested)
                {
                    // Release contenders still waiting: the run is over.
                    await stop.CancelAsync();
                }

                var wait = clock.UntilEnd() > TimeSpan.Zero ? TimeSpan.FromMilliseconds(Math.Min(100, Math.Max(1, clock.UntilEnd().TotalMilliseconds))) : TimeSpan.FromMilliseconds(20);
                await Task.WhenAny(all, delay.WaitAsync(wait));
            }

            await all;
            progress?.Report(1);
            var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
            var acquire = new LatencyHistogram();
            var handoff = new LatencyHistogram();
            foreach (var c in contenders)
            {
                acquire.Add(c.Acquire);
                handoff.Add(c.Handoff);
            }

            self.Refresh();
            return new ProcessResult
            {
                Cycles = [.. contenders.Select(c => c.Cycles)],
                Acquire = acquire.ToSparse(),
                AcquireMax = acquire.Max,
                Handoff = handoff.ToSparse(),
                HandoffMax = handoff.Max,
                MostTurnsWaited = contenders.Max(c => c.MostTurnsWaited),
                AllCycles = contenders.Sum(c => c.AllCycles),
                AllocatedBytes = allocated,
                CpuSeconds = (self.TotalProcessorTime - cpuBefore).TotalSeconds,
                PeakManagedBytes = peakManaged,
                PeakWorkingSetBytes = self.PeakWorkingSet64,
            };
        }
        finally
        {
            foreach (var provider in providers)
            {
                await provider.DisposeAsync();
            }
        }
    }

    private static async Task<ProcessResult> RunInProcessAsync(BenchOptions options, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        using var board = ReleaseBoard.InProcess(options.Locks);
        return await RunContendersAsync(
            options, 0, options.Contenders, board, () => Task.FromResult(Stopwatch.GetTimestamp()), progress, cancellationToken);
    }

    private static async Task<ProcessResult[]> RunInWorkersAsync(
        BenchOptions options, IProgress<double>? progress, string? workerApp, CancellationToken cancellationToken)
    {
        await using (var probe = await Connections.OpenAsync(options.Backend, cancellationToken))
        {
            if (!probe.Capabilities.CrossProcess)
            {
                throw new ArgumentException(
                    $"--processes {options.Processes} needs a backend shared between processes; {probe.Capabilities.Backend}:// serves one process, so the workers would not contend.");
            }
        }

        var boardPath = Path.Combine(Path.GetTempPath(), $"latchkey-bench-{options.RunId}.board");
        using var board = ReleaseBoard.Shared(boardPath, options.Locks, create: true);
        var workers = new List<BenchWorkerProcess>();
        try
        {
            var first = 0;
            for (var p = 0; p < options.Processes; p++)
            {
                var count = (options.Contenders / options.Processes) + (p < options.Contenders % options.Processes ? 1 : 0);
                workers.Add(BenchWorkerProcess.Start(workerApp, options, first, count, boardPath));
                first += count;
            }

            foreach (var worker in workers)
            {
                await worker.WaitReadyAsync(cancellationToken);
            }

            // Start everyone together, a little ahead so the line reaches each worker first.
            var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 5);
            var clock = BenchClock.StartingAt(start, options);
            foreach (var worker in workers)
            {
                await worker.StartAsync(start);
            }

            var results = workers.Select(w => w.ResultAsync(cancellationToken)).ToArray();
            var all = Task.WhenAll(results);
            while (!all.IsCompleted)
            {
                progress?.Report(clock.Progress());
                await Task.WhenAny(all, Task.Delay(100, cancellationToken));
            }

            return await all;
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }

            File.Delete(boardPath);
        }
    }

    /// <summary>Serializes a worker's result for its parent.</summary>
    public static string Serialize(ProcessResult result) => JsonSerializer.Serialize(result, WorkerJsonContext.Default.ProcessResult);

    /// <summary>Reads a worker's result.</summary>
    public static ProcessResult Deserialize(string json) =>
        JsonSerializer.Deserialize(json, WorkerJsonContext.Default.ProcessResult) ?? throw new InvalidDataException("A bench worker sent an empty result.");
}
