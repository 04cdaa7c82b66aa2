namespace Latchkey.Cli.Tests;

public sealed class HistogramTests
{
    [Fact]
    public void Percentiles_AreWithinTheBucketPrecision()
    {
        var histogram = new LatencyHistogram();
        for (var v = 1; v <= 100_000; v++)
        {
            histogram.Record(v * 10L);
        }

        Assert.Equal(100_000, histogram.Count);
        Assert.Equal(1_000_000, histogram.Max);
        Assert.InRange(histogram.Percentile(50), 500_000 * 0.98, 500_000 * 1.02);
        Assert.InRange(histogram.Percentile(99), 990_000 * 0.98, 990_000 * 1.02);
        Assert.Equal(histogram.Max, histogram.Percentile(100));
    }

    [Fact]
    public void SparseRoundTrip_KeepsEveryCount()
    {
        var histogram = new LatencyHistogram();
        foreach (var v in new long[] { 0, 5, 127, 128, 129, 5_000, 1_000_000_000 })
        {
            histogram.Record(v);
        }

        var copy = LatencyHistogram.FromSparse(histogram.ToSparse(), histogram.Max);

        Assert.Equal(histogram.Count, copy.Count);
        Assert.Equal(histogram.Buckets(), copy.Buckets());
    }
}
