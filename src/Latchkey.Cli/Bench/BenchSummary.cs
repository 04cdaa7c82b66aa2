using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Cli.Bench;

/// <summary>The figures of a bench run. Latencies in microseconds, memory in bytes.</summary>
public sealed record BenchSummary
{
    /// <summary>The backend's connection string.</summary>
    public required string Backend { get; init; }

    /// <summary>Contenders.</summary>
    public required int Contenders { get; init; }

    /// <summary>Locks they shared.</summary>
    public required int Locks { get; init; }

    /// <summary>Processes they ran in.</summary>
    public required int Processes { get; init; }

    /// <summary>Measured seconds.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Hold time, ms.</summary>
    public required double HoldMilliseconds { get; init; }

    /// <summary>Think time, ms.</summary>
    public required double ThinkMilliseconds { get; init; }

    /// <summary>Acquire+release cycles in the measured window.</summary>
    public required long Cycles { get; init; }

    /// <summary>Cycles per second, all contenders together.</summary>
    public required double CyclesPerSecond { get; init; }

    /// <summary>
    /// All cycles (warm-up included) per second of CPU time the processes used: on a shared machine,
    /// what the backend costs, whatever share of the cores the run got.
    /// </summary>
    public required double CyclesPerCpuSecond { get; init; }

    /// <summary>Median time from asking for a lock to holding it.</summary>
    public required double AcquireP50Microseconds { get; init; }

    /// <summary>99th percentile of the same.</summary>
    public required double AcquireP99Microseconds { get; init; }

    /// <summary>The longest wait for a lock, ms.</summary>
    public required double LongestWaitMilliseconds { get; init; }

    /// <summary>
    /// The most times the lock went to others while one contender waited for it once: about N − 1 at most for a
    /// first-come-first-served lock of N contenders, whatever the machine's timing (counted from the ask, before
    /// the request reaches the server, so a grant or two around it may count too); a lock that lets others
    /// overtake shows it here.
    /// </summary>
    public long MostTurnsWaited { get; init; }

    /// <summary>
    /// How many hand-offs were measured: from the first release that left waiters behind to the acquire of a
    /// contender that waited then (a releaser or newcomer taking the lock meanwhile does not end it).
    /// </summary>
    public required long Handoffs { get; init; }

    /// <summary>Median hand-off latency; <see langword="null"/> when there were none.</summary>
    public double? HandoffP50Microseconds { get; init; }

    /// <summary>99th percentile hand-off latency.</summary>
    public double? HandoffP99Microseconds { get; init; }

    /// <summary>Jain's fairness index of the per-contender cycles: 1 is perfectly even, 1/N is one contender doing all.</summary>
    public required double JainFairness { get; init; }

    /// <summary>The fewest cycles one contender got.</summary>
    public required long MinCyclesPerContender { get; init; }

    /// <summary>The most cycles one contender got.</summary>
    public required long MaxCyclesPerContender { get; init; }

    /// <summary>The largest managed heap seen in any process of the run.</summary>
    public required long PeakManagedBytes { get; init; }

    /// <summary>The largest peak working set of any process of the run.</summary>
    public required long PeakWorkingSetBytes { get; init; }

    /// <summary>Managed bytes allocated per cycle (warm-up included), all processes together.</summary>
    public required double AllocatedBytesPerCycle { get; init; }

    /// <summary>Cycles per contender, in contender order.</summary>
    public required long[] CyclesPerContender { get; init; }

    /// <summary>The acquire-latency histogram, for plots.</summary>
    [JsonIgnore]
    public LatencyHistogram AcquireHistogram { get; init; } = new();

    /// <summary>The hand-off histogram, for plots.</summary>
    [JsonIgnore]
    public LatencyHistogram HandoffHistogram { get; init; } = new();

    /// <summary>Merges the results of the processes of a run.</summary>
    public static BenchSummary Merge(BenchOptions options, IReadOnlyList<ProcessResult> results)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(results);
        var acquire = new LatencyHistogram();
        var handoff = new LatencyHistogram();
        foreach (var r in results)
        {
            acquire.Add(LatencyHistogram.FromSparse(r.Acquire, r.AcquireMax));
            handoff.Add(LatencyHistogram.FromSparse(r.Handoff, r.HandoffMax));
        }

        long[] cycles = [.. results.SelectMany(r => r.Cycles)];
        var total = cycles.Sum();
        var sumSquares = cycles.Sum(c => (double)c * c);
        var allCycles = Math.Max(1, results.Sum(r => r.AllCycles));
        return new BenchSummary
        {
            Backend = Secrets.Display(options.Backend),
            Contenders = options.Contenders,
            Locks = options.Locks,
            Processes = options.Processes,
            DurationSeconds = options.Duration.TotalSeconds,
            HoldMilliseconds = options.Hold.TotalMilliseconds,
            ThinkMilliseconds = options.Think.TotalMilliseconds,
            Cycles = total,
            CyclesPerSecond = total / options.Duration.TotalSeconds,
            CyclesPerCpuSecond = results.Sum(r => r.AllCycles) / Math.Max(1e-9, results.Sum(r => r.CpuSeconds)),
            AcquireP50Microseconds = acquire.Percentile(50) / 1000.0,
            AcquireP99Microseconds = acquire.Percentile(99) / 1000.0,
            LongestWaitMilliseconds = acquire.Max / 1_000_000.0,
            MostTurnsWaited = results.Max(r => r.MostTurnsWaited),
            Handoffs = handoff.Count,
            HandoffP50Microseconds = handoff.Count > 0 ? handoff.Percentile(50) / 1000.0 : null,
            HandoffP99Microseconds = handoff.Count > 0 ? handoff.Percentile(99) / 1000.0 : null,
            JainFairness = sumSquares > 0 ? (double)total * total / (cycles.Length * sumSquares) : 0,
            MinCyclesPerContender = cycles.Min(),
            MaxCyclesPerContender = cycles.Max(),
            PeakManagedBytes = results.Max(r => r.PeakManagedBytes),
            PeakWorkingSetBytes = results.Max(r => r.PeakWorkingSetBytes),
            AllocatedBytesPerCycle = (double)results.Sum(r => r.AllocatedBytes) / allCycles,
            CyclesPerContender = cycles,
            AcquireHistogram = acquire,
            HandoffHistogram = handoff,
        };
    }

    /// <summary>The figures as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, CliJsonContext.Default.BenchSummary);

    /// <summary>Reads figures written by <see cref="ToJson"/> (without the histograms).</summary>
    public static BenchSummary? FromJson(string json) => JsonSerializer.Deserialize(json, CliJsonContext.Default.BenchSummary);
}
