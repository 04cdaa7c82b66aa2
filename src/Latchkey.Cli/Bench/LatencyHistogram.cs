using System.Numerics;

namespace Latchkey.Cli.Bench;

/// <summary>
/// A log-linear histogram of durations in Stopwatch ticks converted to nanoseconds: exact below 128 ns,
/// then 64 buckets per power of two (under 1.6 % error). Recording is one index computation and one
/// increment, no allocation, so contenders record in their own histogram and the runner merges them.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 6;
    private const int SubCount = 1 << SubBits;
    private const int Linear = SubCount * 2;
    private const int BucketCount = Linear + ((63 - SubBits - 1) * SubCount);

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>How many values were recorded.</summary>
    public long Count { get; private set; }

    /// <summary>The largest value recorded, in nanoseconds (exact).</summary>
    public long Max { get; private set; }

    /// <summary>Records one duration in nanoseconds (negative values count as zero).</summary>
    public void Record(long nanoseconds)
    {
        var value = Math.Max(0, nanoseconds);
        _counts[IndexOf(value)]++;
        Count++;
        if (value > Max)
        {
            Max = value;
        }
    }

    /// <summary>Adds every value of <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The value at or below which <paramref name="percentile"/> (0–100) of the values lie, in nanoseconds.</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(Max, Midpoint(i));
            }
        }

        return Max;
    }

    /// <summary>The non-empty buckets as (lower bound ns, upper bound ns, count), in order.</summary>
    public IEnumerable<(long Low, long High, long Count)> Buckets()
    {
        for (var i = 0; i < BucketCount; i++)
        {
            if (_counts[i] > 0)
            {
                var (low, width) = Bounds(i);
                yield return (low, low + width, _counts[i]);
            }
        }
    }

    /// <summary>The histogram as sparse (bucket index, count) pairs, for handing between processes.</summary>
    public long[][] ToSparse() =>
        [.. Enumerable.Range(0, BucketCount).Where(i => _counts[i] > 0).Select(i => new[] { i, _counts[i] })];

    /// <summary>Rebuilds a histogram from <see cref="ToSparse"/> output and its exact maximum.</summary>
    public static LatencyHistogram FromSparse(long[][] sparse, long max)
    {
        ArgumentNullException.ThrowIfNull(sparse);
        var histogram = new LatencyHistogram { Max = max };
        foreach (var pair in sparse)
        {
            histogram._counts[pair[0]] += pair[1];
            histogram.Count += pair[1];
        }

        return histogram;
    }

    private static int IndexOf(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var shift = exponent - SubBits;
        var top = (int)(value >> shift);
        return Linear + ((exponent - SubBits - 1) * SubCount) + (top - SubCount);
    }

    private static (long Low, long Width) Bounds(int index)
    {
        if (index < Linear)
        {
            return (index, 1);
        }

        var offset = index - Linear;
        var exponent = (offset / SubCount) + SubBits + 1;
        var top = (offset % SubCount) + SubCount;
        var shift = exponent - SubBits;
        return ((long)top << shift, 1L << shift);
    }

    private static long Midpoint(int index)
    {
        var (low, width) = Bounds(index);
        return low + (width / 2);
    }
}
