using Latchkey.Cli.Bench;
using ScottPlot;

namespace Latchkey.Bench;

/// <summary>Draws a bench's figures with ScottPlot: only the harness does, so the latchkey tool carries no SkiaSharp.</summary>
internal static class BenchPlot
{
    /// <summary>Saves a PNG: the latency histograms above, the cycles of each contender below.</summary>
    public static void Save(BenchSummary summary, string path)
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
            LabelFormatter = x => BenchReport.Us(Math.Pow(10, x)),
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
}
