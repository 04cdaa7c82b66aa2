using Spectre.Console;

namespace Latchkey.Cli;

/// <summary>Where commands write: results to <see cref="Out"/>, messages and errors to <see cref="Error"/>.</summary>
/// <param name="Out">Standard output: tables, JSON, the demo and the bench.</param>
/// <param name="Error">Standard error: progress messages and errors, so a command's own output stays clean.</param>
/// <param name="Terminal">Standard error when it is a terminal (for the wait line), else null.</param>
internal sealed record CliConsoles(IAnsiConsole Out, IAnsiConsole Error, TextWriter? Terminal = null)
{
    public static CliConsoles System()
    {
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected)
        {
            // A log file or a pipe: one message, one line.
            error.Profile.Width = 4096;
        }

        return new CliConsoles(AnsiConsole.Console, error, Console.IsErrorRedirected ? null : Console.Error);
    }
}
