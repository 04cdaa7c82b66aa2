using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>Options of <c>latchkey status</c>.</summary>
internal sealed class StatusSettings : BackendSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("The name of the lock, reader-writer lock, semaphore or election.")]
    public string Name { get; init; } = string.Empty;

    [CommandOption("--kind <KIND>")]
    [Description("Which kind of primitive NAME is: lock, rw, semaphore or election.")]
    [DefaultValue("lock")]
    public string Kind { get; init; } = "lock";

    [CommandOption("--json")]
    [Description("Print the status as JSON.")]
    public bool Json { get; init; }

    public LockKind ParsedKind => ParseKind(Kind) ?? LockKind.Lock;

    public override ValidationResult Validate() =>
        ParseKind(Kind) is null
            ? ValidationResult.Error($"--kind must be lock, rw, semaphore or election; got '{Kind}'.")
            : base.Validate();

    private static LockKind? ParseKind(string kind) => kind.ToLowerInvariant() switch
    {
        "lock" or "mutex" => LockKind.Lock,
        "rw" or "readerwriter" or "reader-writer" => LockKind.ReaderWriter,
        "semaphore" or "sem" => LockKind.Semaphore,
        "election" or "elect" => LockKind.Election,
        _ => null,
    };
}
