using System.Text.Json;

namespace Latchkey.Cli.Tests;

public sealed class DemoAndBenchTests
{
    [Fact]
    public async Task Demo_RunsWithoutSetup_AndEndsWithThePassedOverlapCheck()
    {
        var result = await Cli.RunAsync(["demo"]).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Output.TrimEnd().Split('\n');
        Assert.StartsWith("✓ check passed", lines[^1].Trim());
        Assert.Contains("never overlapped", lines[^1]);
    }

    [Fact]
    public async Task Bench_AShortRunOnMemory_WritesSaneJson()
    {
        using var scratch = new Scratch();
        var json = scratch.File("bench.json");

        var result = await Cli.RunAsync(["bench", "--backend", "memory://", "--contenders", "3", "--duration", "300ms", "--warmup", "100ms",
            "--hold", "200us", "--think", "100us", "--json", json]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("cycles/s", result.Output);
        var summary = BenchSummary.FromJson(await File.ReadAllTextAsync(json))!;
        Assert.Equal(3, summary.Contenders);
        Assert.True(summary.Cycles > 0);
        Assert.Equal(summary.Cycles, summary.CyclesPerContender.Sum());
        Assert.InRange(summary.CyclesPerSecond, summary.Cycles / 0.31, summary.Cycles / 0.29);
        Assert.True(summary.AcquireP50Microseconds <= summary.AcquireP99Microseconds);
        Assert.True(summary.AcquireP99Microseconds <= summary.LongestWaitMilliseconds * 1000 * 1.02);
        Assert.True(summary.Handoffs > 0, "with hold and think times every release has waiters");
        Assert.True(summary.HandoffP50Microseconds <= summary.HandoffP99Microseconds);
        Assert.InRange(summary.JainFairness, 1.0 / 3, 1.0);
        Assert.InRange(summary.MostTurnsWaited, 1, 2); // memory:// is first come, first served: 3 contenders wait 2 turns at most
        Assert.True(summary.PeakWorkingSetBytes > 0 && summary.PeakManagedBytes > 0);
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.Equal("memory://", document.RootElement.GetProperty("backend").GetString());
    }

    [Fact]
    public async Task Bench_SpreadOverProcessesOnFile_MeasuresHandoffsBetweenProcesses()
    {
        using var scratch = new Scratch();
        var json = scratch.File("bench.json");

        var result = await Cli.RunAsync(["bench", "--backend", "file://" + scratch.File("locks"), "--contenders", "2", "--processes", "2",
            "--duration", "500ms", "--warmup", "200ms", "--hold", "200us", "--think", "200us", "--json", json]).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = BenchSummary.FromJson(await File.ReadAllTextAsync(json))!;
        Assert.Equal(2, summary.Processes);
        Assert.Equal(2, summary.CyclesPerContender.Length);
        Assert.All(summary.CyclesPerContender, c => Assert.True(c > 0, "every worker process ran cycles"));

        // One contender per process: every hand-off went from one process to the other.
        Assert.True(summary.Handoffs > 0, result.ToString());
    }

    [Fact]
    public async Task Bench_SpreadOverProcessesOnAnInProcessBackend_IsAUsageError()
    {
        var result = await Cli.RunAsync(["bench", "--backend", "memory://", "--contenders", "2", "--processes", "2", "--duration", "100ms"]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("serves one process", result.Error);
    }

    [Fact]
    public async Task Bench_WithPlot_IsAUsageError_ThatNamesTheHarness()
    {
        var result = await Cli.RunAsync(["bench", "--backend", "memory://", "--duration", "100ms", "--plot", "bench.png"]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("bench/Latchkey.Bench", result.Error);
    }

    [Fact]
    public async Task Bench_WithBadOptions_IsAUsageError()
    {
        var result = await Cli.RunAsync(["bench", "--backend", "memory://", "--contenders", "2", "--locks", "5"]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("Locks must be", result.Error);
    }
}
