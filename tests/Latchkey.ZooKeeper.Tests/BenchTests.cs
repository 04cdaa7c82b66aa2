using System.Diagnostics;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>
/// Quick figures for the docs, run only on request (LATCHKEY_ZK_BENCH=1; LATCHKEY_ZK_BENCH_OUT=file to collect the lines): uncontended cycle latency and
/// eight contenders on one lock. The real benchmark lives in bench/; these print to the test output.
/// </summary>
public sealed class BenchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bench_UncontendedCycle_AndEightContenders()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("LATCHKEY_ZK_BENCH") == "1", "Set LATCHKEY_ZK_BENCH=1 to run the figures.");
        var server = ZooKeeperServer.ConnectionString();
        await using var provider = LockProvider.Connect(server);
        var name = "bench-" + Guid.NewGuid().ToString("N");
        var l = provider.CreateLock(name);
        for (var i = 0; i < 200; i++)
        {
            await using var warm = await l.AcquireAsync(cancellationToken: Ct);
        }

        const int cycles = 2000;
        var acquire = new double[cycles];
        var cycle = new double[cycles];
        for (var i = 0; i < cycles; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var h = await l.AcquireAsync(cancellationToken: Ct);
            var t1 = Stopwatch.GetTimestamp();
            await h.ReleaseAsync();
            var t2 = Stopwatch.GetTimestamp();
            acquire[i] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            cycle[i] = Stopwatch.GetElapsedTime(t0, t2).TotalMilliseconds;
        }

        Report($"uncontended: acquire p50 {P(acquire, 50):F3} ms p99 {P(acquire, 99):F3} ms; cycle p50 {P(cycle, 50):F3} ms p99 {P(cycle, 99):F3} ms");

        // Eight contenders, each with its own provider (session), 1 ms hold and 2 ms think.
        var providers = new List<ILockProvider>();
        for (var i = 0; i < 8; i++)
        {
            providers.Add(LockProvider.Connect(server));
        }

        var contended = "bench-8-" + Guid.NewGuid().ToString("N");
        long lastRelease = 0;
        var handoffs = new List<double>();
        var done = 0L;
        var stop = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(5);
        var workers = providers.Select(p => Task.Run(async () =>
        {
            var lk = p.CreateLock(contended);
            while (stop.Elapsed < duration)
            {
                var h = await lk.AcquireAsync(cancellationToken: Ct);
                var got = Stopwatch.GetTimestamp();
                var released = Interlocked.Read(ref lastRelease);
                if (released != 0)
                {
                    lock (handoffs)
                    {
                        handoffs.Add(Stopwatch.GetElapsedTime(released, got).TotalMilliseconds);
                    }
                }

                Thread.Sleep(1);
                Interlocked.Exchange(ref lastRelease, Stopwatch.GetTimestamp());
                await h.ReleaseAsync();
                Interlocked.Increment(ref done);
                Thread.Sleep(2);
            }
        }, Ct)).ToList();
        await Task.WhenAll(workers);
        var seconds = stop.Elapsed.TotalSeconds;
        foreach (var p in providers)
        {
            await p.DisposeAsync();
        }

        var h2 = handoffs.ToArray();
        Report($"8 contenders, 1 ms hold, 2 ms think: {done / seconds:F0} cycles/s; hand-off p50 {P(h2, 50):F2} ms p99 {P(h2, 99):F2} ms ({h2.Length} hand-offs)");
    }

    // Test output is not shown by default; LATCHKEY_ZK_BENCH_OUT names a file that collects the lines too.
    private static void Report(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("LATCHKEY_ZK_BENCH_OUT") is { Length: > 0 } file)
        {
            File.AppendAllText(file, line + Environment.NewLine);
        }
    }

    private static double P(double[] values, int percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, sorted.Length * percentile / 100)];
    }
}
