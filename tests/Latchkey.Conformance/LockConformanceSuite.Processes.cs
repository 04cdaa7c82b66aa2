using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace Latchkey.Conformance;

public abstract partial class LockConformanceSuite
{
    [Fact]
    public async Task MutualExclusion_AcrossProcesses_NoOverlapAndNoLostUpdate()
    {
        var connectionString = ChildProcessConnectionString;
        Assert.SkipWhen(connectionString is null, "The backend is in-process only.");
        const int processes = 3;
        const int iterations = 20;
        var name = UniqueName("proc");
        var dir = Directory.CreateTempSubdirectory("latchkey-conf-");
        try
        {
            var workers = Enumerable.Range(0, processes).Select(_ => RunWorkerAsync(connectionString!, name, iterations, dir.FullName)).ToList();
            var exitCodes = await Within(Task.WhenAll(workers), "the worker processes");
            Assert.All(exitCodes, code => Assert.Equal(0, code));
            Assert.Equal((processes * iterations).ToString(CultureInfo.InvariantCulture), await File.ReadAllTextAsync(Path.Combine(dir.FullName, "counter"), TestCancellation));
            AssertJournalHasNoOverlap(await File.ReadAllLinesAsync(Path.Combine(dir.FullName, "journal"), TestCancellation), processes * iterations);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Checks that enter/exit records alternate (no two holders inside at once) and tokens increase.</summary>
    protected static void AssertJournalHasNoOverlap(string[] lines, int expectedSections)
    {
        Assert.Equal(expectedSections * 2, lines.Length);
        var lastToken = 0L;
        for (var i = 0; i < lines.Length; i += 2)
        {
            var enter = lines[i].Split(' ');
            var exit = lines[i + 1].Split(' ');
            Assert.True(enter[0] == "enter" && exit[0] == "exit" && enter[1] == exit[1] && enter[2] == exit[2], $"Overlapping critical sections at line {i}: '{lines[i]}' then '{lines[i + 1]}'.");
            var token = long.Parse(enter[2], CultureInfo.InvariantCulture);
            Assert.True(token > lastToken, $"Token {token} after {lastToken} at line {i}.");
            lastToken = token;
        }
    }

    private static async Task<int> RunWorkerAsync(string connectionString, string name, int iterations, string dir)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Latchkey.Conformance.Worker.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { worker, "count", connectionString, name, iterations.ToString(CultureInfo.InvariantCulture), dir })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(TestCancellation);
        await process.WaitForExitAsync(TestCancellation);
        var errors = await stderr;
        Assert.True(process.ExitCode == 0, $"worker exited {process.ExitCode}: {errors}");
        return process.ExitCode;
    }
}
