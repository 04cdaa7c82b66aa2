using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>Options of the commands that take a lock and run a command: a name, a TTL, a timeout.</summary>
internal class LockSettings : BackendSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("The lock's name (any text of 1 to 1024 UTF-8 bytes).")]
    public string Name { get; init; } = string.Empty;

    [CommandOption("--ttl <TIME>")]
    [Description("How long the lock outlives a holder that stops renewing it (crash, pause, lost network).")]
    [TypeConverter(typeof(DurationConverter))]
    [DefaultValue("30s")]
    public TimeSpan Ttl { get; init; } = LockOptions.DefaultTtl;

    [CommandOption("-t|--timeout <TIME>")]
    [Description("Give up (exit 75) if the lock is not acquired within TIME. Default: wait as long as it takes.")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? Timeout { get; init; }

    public override ValidationResult Validate()
    {
        if (Ttl <= TimeSpan.Zero)
        {
            return ValidationResult.Error($"--ttl must be more than zero; got {DurationConverter.Format(Ttl)}.");
        }

        return base.Validate();
    }
}
