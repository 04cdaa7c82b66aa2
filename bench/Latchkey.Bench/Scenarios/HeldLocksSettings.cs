using System.ComponentModel;
using Latchkey.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Bench.Scenarios;

/// <summary>The options of <c>held-locks</c>.</summary>
internal sealed class HeldLocksSettings : CommandSettings
{
    [CommandOption("-b|--backend <URI>")]
    [Description("Backend connection string. Default: $LATCHKEY_BACKEND, else file:// in the runtime or temp directory.")]
    public string? Backend { get; init; }

    [CommandOption("--count <N>")]
    [Description("How many locks one provider takes and holds.")]
    [DefaultValue(10_000)]
    public int Count { get; init; } = 10_000;

    [CommandOption("--in-flight <N>")]
    [Description("How many acquires are under way at once while they are taken.")]
    [DefaultValue(64)]
    public int InFlight { get; init; } = 64;

    public string ResolveBackend() => DefaultBackend.Resolve(Backend);

    public override ValidationResult Validate() => Count < 1 || InFlight < 1
        ? ValidationResult.Error($"--count and --in-flight must be at least 1; got {Count} and {InFlight}.")
        : ValidationResult.Success();
}
