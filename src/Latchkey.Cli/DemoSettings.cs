using System.ComponentModel;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>Options of <c>latchkey demo</c>.</summary>
internal sealed class DemoSettings : CommandSettings
{
    [CommandOption("-b|--backend <URI>")]
    [Description("Backend to demo on. Default: file:// in a new temporary directory (removed afterwards).")]
    public string? Backend { get; init; }

    [CommandOption("--rounds <N>")]
    [Description("Critical sections per worker.")]
    [DefaultValue(3)]
    public int Rounds { get; init; } = 3;
}
