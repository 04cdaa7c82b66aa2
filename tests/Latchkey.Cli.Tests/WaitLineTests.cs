using System.Diagnostics;

namespace Latchkey.Cli.Tests;

/// <summary>Issue 19 item 6: a status line while run waits, on a terminal only.</summary>
public sealed class WaitLineTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task OnATerminal_RunShowsWhoHoldsTheLockWhileItWaits_UnlessQuiet(bool quiet, bool shown)
    {
        using var scratch = new Scratch();
        var backend = "file://" + scratch.File("locks");
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var held = await provider.CreateLock("busy").AcquireAsync();
        string[] run = ["run", "busy", "--backend", backend, "-w", "1.5", .. quiet ? new[] { "--quiet" } : [], "--", "true"];

        var output = await UnderPseudoTerminalAsync(run);

        Assert.Equal(shown, output.Contains("waiting for 'busy': held by", StringComparison.Ordinal));
        Assert.Contains("not acquired within", output);
    }

    [Fact]
    public async Task InAPipe_RunShowsNoWaitLine()
    {
        using var scratch = new Scratch();
        var backend = "file://" + scratch.File("locks");
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var held = await provider.CreateLock("busy").AcquireAsync();

        var result = await LatchkeyProcess.RunToEndAsync(["run", "busy", "--backend", backend, "-w", "1.5", "--", "true"], new Dictionary<string, string>(), Limit);

        Assert.Equal(75, result.ExitCode);
        Assert.DoesNotContain("waiting for", result.Error);
        Assert.DoesNotContain("\u001b", result.Error);
    }

    /// <summary>Runs latchkey under script(1), which gives it a pseudo-terminal, and returns what it wrote there.</summary>
    private static async Task<string> UnderPseudoTerminalAsync(string[] arguments)
    {
        var latchkey = ProcessLauncher.For(typeof(LatchkeyApp).Assembly.Location, arguments);
        var commandLine = string.Join(' ', new[] { latchkey.FileName }.Concat(latchkey.ArgumentList).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var info = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-qfec", commandLine, "/dev/null" })
        {
            info.ArgumentList.Add(argument);
        }

        using var script = Process.Start(info) ?? throw new InvalidOperationException("Could not start script(1).");
        script.StandardInput.Close();
        var output = script.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        await script.WaitForExitAsync(limit.Token);
        return await output;
    }
}
