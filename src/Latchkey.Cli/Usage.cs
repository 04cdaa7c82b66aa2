using Spectre.Console;

namespace Latchkey.Cli;

/// <summary>Reports a usage error the way every command does.</summary>
internal static class Usage
{
    public static int Fail(CliConsoles consoles, string message)
    {
        consoles.Error.MarkupLineInterpolated($"[red]latchkey:[/] {message}");
        return ExitCodes.Usage;
    }
}
