using System.ComponentModel;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>Options of the hidden <c>demo-worker</c> command.</summary>
internal sealed class DemoWorkerSettings : BackendSettings
{
    [CommandOption("--lock <NAME>")]
    public string Lock { get; init; } = "demo";

    [CommandOption("--worker <NAME>")]
    public string Worker { get; init; } = "worker";

    [CommandOption("--rounds <N>")]
    public int Rounds { get; init; } = 3;

    [CommandOption("--hold <TIME>")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan Hold { get; init; } = TimeSpan.FromMilliseconds(100);

    [CommandOption("--journal <FILE>")]
    public string Journal { get; init; } = string.Empty;

    [CommandOption("--die-holding")]
    [Description("Take the lock once and hold it until killed.")]
    public bool DieHolding { get; init; }
}
