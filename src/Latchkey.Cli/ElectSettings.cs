using System.ComponentModel;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>Options of <c>latchkey elect</c>.</summary>
internal sealed class ElectSettings : LockSettings
{
    [CommandOption("--value <VALUE>")]
    [Description("What this candidate announces while leader (an address, an id). Default: HOST:PID.")]
    public string? Value { get; init; }
}
