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

    public override ValidationResult Validate()
    {
        if (NoWait && Timeout is not null)
        {
            return ValidationResult.Error("Give either --timeout or --no-wait, not both.");
        }

        return base.Validate();
    }
}
