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
    [Description("How long the lock outlives a holder that stops renewing it (crash, pause, lost network). Default 30s. On etcd and ZooKeeper it sets the lease (?ttl=) or session (?sessionTimeout=) unless the URI does.")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? Ttl { get; init; }

    [CommandOption("-t|-w|--timeout <TIME>")]
    [Description("Give up (exit 75, or -E's code) if the lock is not acquired within TIME; -w SECONDS as in flock. Default: wait as long as it takes.")]
    [TypeConverter(typeof(DurationConverter))]
    public TimeSpan? Timeout { get; init; }

    [CommandOption("-E|--conflict-exit-code <CODE>")]
    [Description("The exit code when the lock is busy or not acquired in time (as flock -E). Default 75.")]
    [DefaultValue(ExitCodes.Busy)]
    public int ConflictExitCode { get; init; } = ExitCodes.Busy;

    /// <summary>The connection string to open (with <c>--ttl</c> written in where the lease is per connection) and each lock's TTL.</summary>
    /// <exception cref="FormatException">The connection string is malformed or disagrees with <c>--ttl</c>.</exception>
    public (string Backend, TimeSpan Ttl) ResolveBackendAndTtl() => BackendTtl.Apply(ResolveBackend(), Ttl);

    public override ValidationResult Validate()
    {
        if (Ttl is { } ttl && ttl <= TimeSpan.Zero)
        {
            return ValidationResult.Error($"--ttl must be more than zero; got {DurationConverter.Format(ttl)}.");
        }

        if (ConflictExitCode is < 0 or > 255)
        {
            return ValidationResult.Error($"--conflict-exit-code must be 0 to 255; got {ConflictExitCode}.");
        }

        return base.Validate();
    }
}
