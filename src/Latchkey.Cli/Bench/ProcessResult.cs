namespace Latchkey.Cli.Bench;

/// <summary>The raw figures of the contenders of one process; merged into a <see cref="BenchSummary"/>.</summary>
public sealed record ProcessResult
{
    /// <summary>Measured acquire+release cycles per contender, in contender order.</summary>
    public required long[] Cycles { get; init; }

    /// <summary>Acquire latency histogram (sparse bucket, count pairs).</summary>
    public required long[][] Acquire { get; init; }

    /// <summary>The longest acquire, in nanoseconds.</summary>
    public required long AcquireMax { get; init; }

    /// <summary>Hand-off latency histogram (sparse bucket, count pairs).</summary>
    public required long[][] Handoff { get; init; }

    /// <summary>The longest hand-off, in nanoseconds.</summary>
    public required long HandoffMax { get; init; }

    /// <summary>The most times a lock went to others while one contender waited for it once.</summary>
    public long MostTurnsWaited { get; init; }

    /// <summary>Cycles including the warm-up, for the allocation figure.</summary>
    public required long AllCycles { get; init; }

    /// <summary>Bytes allocated by the process during the run.</summary>
    public required long AllocatedBytes { get; init; }

    /// <summary>CPU time the process used from the start of the warm-up to the end, in seconds.</summary>
    public double CpuSeconds { get; init; }

    /// <summary>The largest managed heap seen during the run.</summary>
    public required long PeakManagedBytes { get; init; }

    /// <summary>The process's peak working set.</summary>
    public required long PeakWorkingSetBytes { get; init; }
}
