using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Cli.Bench;

/// <summary>The options of <c>latchkey bench</c>.</summary>
public class BenchSettings : CommandSettings
{
    /// <summary>The backend's connection string.</summary>
    [CommandOption("-b|--backend <URI>")]
    [Description("Backend connection string (memory://, file:///dir, etcd://host:port, ...). Default: $LATCHKEY_BACKEND, else file:// in the runtime or temp directory.")]
    public string? Backend { get; init; }

    /// <summary>Contenders.</summary>
    [CommandOption("-n|--contenders <N>")]
    [Description("How many contenders run the acquire, hold, release, think loop.")]
    [DefaultValue(4)]
    public int Contenders { get; init; } = 4;

    /// <summary>Locks.</summary>
    [CommandOption("-k|--locks <K>")]
    [Description("How many locks they share (contender i uses lock i mod K).")]
    [DefaultValue(1)]
    public int Locks { get; init; } = 1;

    /// <summary>Measured duration.</summary>
    [CommandOption("-d|--duration <TIME>")]
    [Description("How long to measure (500ms, 10s, 2m).")]
    [TypeConverter(typeof(DurationConverter))]
    [DefaultValue("5s")]
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Warm-up.</summary>
    [CommandOption("--warmup <TIME>")]
    [Description("How long to run before measuring.")]
    [TypeConverter(typeof(DurationConverter))]
    [DefaultValue("500ms")]
    public TimeSpan Warmup { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Hold time.</summary>
    [CommandOption("--hold <TIME>")]
    [Description("How long each contender holds the lock.")]
    [TypeConverter(typeof(DurationConverter))]
    [DefaultValue("0ms")]
    public TimeSpan Hold { get; init; }

    /// <summary>Think time.</summary>
    [CommandOption("--think <TIME>")]
    [Description("How long each contender pauses after a release before asking again.")]
    [TypeConverter(typeof(DurationConverter))]
    [DefaultValue("0ms")]
    public TimeSpan Think { get; init; }

    /// <summary>Processes.</summary>
    [CommandOption("-p|--processes <P>")]
    [Description("Spread the contenders over P worker processes (for cross-process backends).")]
    [DefaultValue(1)]
    public int Processes { get; init; } = 1;

    /// <summary>TTL.</summary>
    [CommandOption("--ttl <TIME>")]
    [Description("The locks' time to live.")]
    [TypeConverter(typeof(DurationConverter))]
    [DefaultValue("30s")]
    public TimeSpan Ttl { get; init; } = LockOptions.DefaultTtl;

    /// <summary>One provider per process instead of one per contender.</summary>
    [CommandOption("--shared-provider")]
    [Description("All contenders of a process share one provider (one connection) instead of one each.")]
    public bool SharedProvider { get; init; }

    /// <summary>Where to write the figures as JSON.</summary>
    [CommandOption("--json <FILE>")]
    [Description("Also write the figures as JSON to FILE.")]
    public string? Json { get; init; }

    /// <summary>Where to save a chart: an option of the harness under <c>bench/</c> only; the tool refuses it, saying where to run it.</summary>
    [CommandOption("--plot <FILE>")]
    [Description("Also save a PNG chart (latency histograms, cycles per contender) to FILE. Only in the bench harness (dotnet run --project bench/Latchkey.Bench), not in the latchkey tool.")]
    public string? Plot { get; init; }

    /// <summary>A run id (lock names are latchkey-bench/RUNID/K).</summary>
    [CommandOption("--run-id <ID>", IsHidden = true)]
    public string? RunId { get; init; }

    /// <inheritdoc/>
    public override ValidationResult Validate()
    {
        try
        {
            ToOptions().Validate();
            return ValidationResult.Success();
        }
        catch (ArgumentException ex)
        {
            return ValidationResult.Error(ex.Message);
        }
    }

    /// <summary>The engine's options.</summary>
    public BenchOptions ToOptions()
    {
        var options = new BenchOptions
        {
            Backend = DefaultBackend.Resolve(Backend),
            Contenders = Contenders,
            Locks = Locks,
            Duration = Duration,
            Warmup = Warmup,
            Hold = Hold,
            Think = Think,
            Processes = Processes,
            Ttl = Ttl,
            SharedProvider = SharedProvider,
        };
        return RunId is null ? options : options with { RunId = RunId };
    }
}
