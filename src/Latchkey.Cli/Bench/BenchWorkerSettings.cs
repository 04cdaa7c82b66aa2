using System.ComponentModel;
using Spectre.Console.Cli;

namespace Latchkey.Cli.Bench;

/// <summary>The options of the hidden <c>bench-worker</c> command: a bench's options plus this worker's share.</summary>
public sealed class BenchWorkerSettings : BenchSettings
{
    /// <summary>This worker's first contender.</summary>
    [CommandOption("--first <N>")]
    [Description("This worker's first contender.")]
    public int First { get; init; }

    /// <summary>How many contenders this worker runs.</summary>
    [CommandOption("--count <N>")]
    [Description("How many contenders this worker runs.")]
    public int Count { get; init; }

    /// <summary>The shared release board file.</summary>
    [CommandOption("--board <FILE>")]
    [Description("The shared release board.")]
    public string Board { get; init; } = string.Empty;
}
