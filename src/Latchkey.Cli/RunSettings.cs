using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>Options of <c>latchkey run</c>.</summary>
internal sealed class RunSettings : LockSettings
{
    [CommandOption("-n|--no-wait")]
    [Description("Do not wait: if the lock is busy, exit 75 at once (like flock -n).")]
    public bool NoWait { get; init; }

    [CommandOption("-s|--shared")]
    [Description("Take a read (shared) hold on reader-writer lock NAME: many -s runs hold it together, none beside a -x run (as flock -s).")]
    public bool Shared { get; init; }

    [CommandOption("-x|--exclusive")]
    [Description("Take the write (exclusive) hold on reader-writer lock NAME, the one -s runs share (as flock -x). Without -s or -x, run takes the plain lock NAME.")]
    public bool Exclusive { get; init; }

    [CommandOption("-q|--quiet")]
    [Description("No status line while waiting (it is shown only when standard error is a terminal).")]
    public bool Quiet { get; init; }

    [CommandOption("--permits <N>")]
    [Description("Take one of N slots of semaphore NAME: at most N runs at once (every run of NAME must give the same N).")]
    public int? Permits { get; init; }

    public override ValidationResult Validate()
    {
        if (NoWait && Timeout is not null)
        {
            return ValidationResult.Error("Give either --timeout or --no-wait, not both.");
        }

        if ((Shared ? 1 : 0) + (Exclusive ? 1 : 0) + (Permits is null ? 0 : 1) > 1)
        {
            return ValidationResult.Error("Give at most one of --shared, --exclusive and --permits.");
        }

        if (Permits is < 1)
        {
            return ValidationResult.Error($"--permits must be at least 1; got {Permits}.");
        }

        return base.Validate();
    }
}
