using System.Globalization;
using Spectre.Console;

namespace Latchkey.Cli.Bench;

/// <summary>Shows a bench's figures as a console table. (The harness under <c>bench/</c> draws them too.)</summary>
public static class BenchReport
{
    /// <summary>Writes the figures as a table.</summary>
    public static void Render(IAnsiConsole console, BenchSummary summary)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(summary);
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]latchkey bench[/] {Markup.Escape(summary.Backend)}");
        table.AddColumn("figure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("workload", Markup.Escape(
            $"{summary.Contenders} contenders, {summary.Locks} lock(s), {summary.Processes} process(es), hold {Ms(summary.HoldMilliseconds)}, think {Ms(summary.ThinkMilliseconds)}, {summary.DurationSeconds:0.##} s"));
        table.AddRow("cycles/s (acquire+release)", $"[bold]{summary.CyclesPerSecond.ToString("N0", CultureInfo.InvariantCulture)}[/]");
        table.AddRow("cycles", summary.Cycles.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("cycles per CPU second", summary.CyclesPerCpuSecond.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("acquire p50 / p99", $"{Us(summary.AcquireP50Microseconds)} / {Us(summary.AcquireP99Microseconds)}");
        table.AddRow("hand-off p50 / p99", summary.Handoffs == 0
            ? "[grey]no hand-offs (no waiter was ever handed the lock)[/]"
            : $"{Us(summary.HandoffP50Microseconds!.Value)} / {Us(summary.HandoffP99Microseconds!.Value)}  [grey]({summary.Handoffs.ToString("N0", CultureInfo.InvariantCulture)})[/]");
        table.AddRow("longest wait", $"{Ms(summary.LongestWaitMilliseconds)}  [grey](most turns waited: {summary.MostTurnsWaited.ToString("N0", CultureInfo.InvariantCulture)})[/]");
        table.AddRow("fairness (Jain)", summary.JainFairness.ToString("0.000", CultureInfo.InvariantCulture));
        table.AddRow("cycles per contender min / max", $"{summary.MinCyclesPerContender.ToString("N0", CultureInfo.InvariantCulture)} / {summary.MaxCyclesPerContender.ToString("N0", CultureInfo.InvariantCulture)}");
        table.AddRow("peak managed heap", Bytes(summary.PeakManagedBytes));
        table.AddRow("peak working set", Bytes(summary.PeakWorkingSetBytes));
        table.AddRow("allocated per cycle", $"{summary.AllocatedBytesPerCycle.ToString("N0", CultureInfo.InvariantCulture)} B");
        console.Write(table);
    }

    /// <summary>A latency for people: <c>850.0 µs</c>, <c>1.25 ms</c>.</summary>
    public static string Us(double microseconds) => microseconds >= 1000
        ? (microseconds / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " ms"
        : microseconds.ToString("0.0", CultureInfo.InvariantCulture) + " µs";

    private static string Ms(double milliseconds) => milliseconds.ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    private static string Bytes(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
