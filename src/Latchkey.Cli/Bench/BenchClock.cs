using System.Diagnostics;

namespace Latchkey.Cli.Bench;

/// <summary>The run's schedule in Stopwatch timestamps: start, end of warm-up, end.</summary>
internal sealed record BenchClock(long Start, long MeasureStart, long End)
{
    public static BenchClock StartingAt(long start, BenchOptions options)
    {
        var measureStart = start + Ticks(options.Warmup);
        return new BenchClock(start, measureStart, measureStart + Ticks(options.Duration));
    }

    public TimeSpan UntilStart() => Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Start);

    public TimeSpan UntilEnd() => Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), End);

    public double Progress()
    {
        var now = Stopwatch.GetTimestamp();
        return Math.Clamp((double)(now - Start) / (End - Start), 0, 1);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
