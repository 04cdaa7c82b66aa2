using System.Globalization;
using ScottPlot;
using Spectre.Console;

namespace Latchkey.Bench;

/// <summary>Shows a bench's figures: a console table, and a PNG chart.</summary>
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

    /// <summary>Saves a PNG: the latency histograms above, the cycles of each contender below.</summary>
    public static void Plot(BenchSummary summary, string path)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);

        // Latencies span microseconds to hundreds of milliseconds: bin them on a log scale.
        var latency = multiplot.GetPlot(0);
        var low = Math.Max(0.05, Math.Min(FirstValue(summary.AcquireHistogram), FirstValue(summary.HandoffHistogram)) / 1000.0);
        var high = Math.Max(low * 10, Math.Max(summary.AcquireHistogram.Max, summary.HandoffHistogram.Max) / 1000.0);
        const int Bins = 60;
        var (logLow, logHigh) = (Math.Log10(low), Math.Log10(high) + 1e-9);
        var width = (logHigh - logLow) / Bins;
        AddHistogram(latency, summary.AcquireHistogram, logLow, width, Bins, "acquire", Colors.SteelBlue.WithAlpha(0.6));
        if (summary.HandoffHistogram.Count > 0)
        {
            AddHistogram(latency, summary.HandoffHistogram, logLow, width, Bins, "hand-off", Colors.OrangeRed.WithAlpha(0.6));
        }

        latency.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => Us(Math.Pow(10, x)),
        };
        latency.Title($"latency, {summary.Backend}: {summary.Contenders} contenders, {summary.Locks} lock(s), {summary.Processes} process(es)");
        latency.XLabel("latency (log scale)");
        latency.YLabel("count");
        latency.ShowLegend();

        var fairness = multiplot.GetPlot(1);
        var positions = Enumerable.Range(0, summary.CyclesPerContender.Length).Select(i => (double)i).ToArray();
        fairness.Add.Bars(positions, [.. summary.CyclesPerContender.Select(c => (double)c)]);
        fairness.Title($"cycles per contender (Jain's index {summary.JainFairness:0.000})");
        fairness.XLabel("contender");
        fairness.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        fairness.YLabel("cycles");
        multiplot.SavePng(path, 1000, 900);
    }

    private static void AddHistogram(Plot plot, LatencyHistogram histogram, double logLow, double width, int bins, string label, ScottPlot.Color color)
    {
        var counts = new double[bins];
        foreach (var (low, high, count) in histogram.Buckets())
        {
            var mid = Math.Max(1e-3, (low + high) / 2.0 / 1000.0);
            counts[Math.Clamp((int)((Math.Log10(mid) - logLow) / width), 0, bins - 1)] += count;
        }

        var positions = Enumerable.Range(0, bins).Select(i => logLow + ((i + 0.5) * width)).ToArray();
        var bars = plot.Add.Bars(positions, counts);
        bars.LegendText = label;
        bars.Color = color;
        foreach (var bar in bars.Bars)
        {
            bar.Size = width;
            bar.LineWidth = 0;
        }
    }

    private static double FirstValue(LatencyHistogram histogram) =>
        histogram.Buckets().Select(b => (double)b.Low).DefaultIfEmpty(double.MaxValue).First();

    private static string Us(double microseconds) => microseconds >= 1000
        ? (microseconds / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " ms"
        : microseconds.ToString("0.0", CultureInfo.InvariantCulture) + " µs";

    private static string Ms(double milliseconds) => milliseconds.ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    private static string Bytes(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
