using Latchkey.Cli;
using Spectre.Console;

namespace Latchkey.Cli.Tests;

/// <summary>Runs the latchkey command line in this process and captures what it writes.</summary>
internal static class Cli
{
    /// <summary>
    /// How long one command may run here: each takes seconds. A hang (one was seen once in CI, in this assembly)
    /// then fails its test, naming the command, instead of stalling the whole suite.
    /// </summary>
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(90);

    public static async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var consoles = new CliConsoles(Create(output), Create(error));
        int code;
        try
        {
            code = await LatchkeyApp.RunAsync(args, consoles, cancellationToken).WaitAsync(RunLimit, CancellationToken.None);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"'latchkey {string.Join(' ', args)}' did not end within {RunLimit.TotalSeconds:0} s.\n--- out\n{output}\n--- err\n{error}", ex);
        }

        return new CliResult(code, output.ToString(), error.ToString());
    }

    public static string NewMemoryBackend() => "memory://cli-test-" + Guid.NewGuid().ToString("N");

    private static IAnsiConsole Create(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 4096;
        return console;
    }
}

internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- out\n{Output}\n--- err\n{Error}";
}
