using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Bench.Scenarios;

/// <summary>The options of <c>round-trips</c>.</summary>
internal sealed class RoundTripsSettings : CommandSettings
{
    [CommandOption("-b|--backend <URI>")]
    [Description("A redis:// or etcd:// connection string (the server's own counters are read from its first host).")]
    public string Backend { get; init; } = string.Empty;

    [CommandOption("--cycles <N>")]
    [Description("How many uncontended acquire+release cycles to count over.")]
    [DefaultValue(1000)]
    public int Cycles { get; init; } = 1000;

    public override ValidationResult Validate()
    {
        if (Cycles < 1)
        {
            return ValidationResult.Error($"--cycles must be at least 1; got {Cycles}.");
        }

        return Backend.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || Backend.StartsWith("etcd://", StringComparison.OrdinalIgnoreCase)
            ? ValidationResult.Success()
            : ValidationResult.Error($"--backend must be a redis:// or etcd:// connection string (their servers count requests); got '{Backend}'.");
    }
}
