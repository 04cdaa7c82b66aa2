namespace Latchkey.Cli.Bench;

/// <summary>What one bench run does.</summary>
public sealed record BenchOptions
{
    /// <summary>The backend's connection string.</summary>
    public required string Backend { get; init; }

    /// <summary>How many contenders run the acquire–hold–release–think loop.</summary>
    public int Contenders { get; init; } = 4;

    /// <summary>How many locks they share; contender <c>i</c> uses lock <c>i mod Locks</c>.</summary>
    public int Locks { get; init; } = 1;

    /// <summary>How long the measured part of the run lasts.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the contenders run before measuring starts (JIT, connections, caches).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a contender holds the lock once it has it.</summary>
    public TimeSpan Hold { get; init; }

    /// <summary>How long a contender pauses after each release before asking again.</summary>
    public TimeSpan Think { get; init; }

    /// <summary>How many OS processes the contenders are spread over (1: all in this process).</summary>
    public int Processes { get; init; } = 1;

    /// <summary>The locks' TTL.</summary>
    public TimeSpan Ttl { get; init; } = LockOptions.DefaultTtl;

    /// <summary>All contenders of a process share one provider (one connection) instead of one each.</summary>
    public bool SharedProvider { get; init; }

    /// <summary>A prefix that keeps this run's lock names apart from every other run's.</summary>
    public string RunId { get; init; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>The name of lock <paramref name="index"/>.</summary>
    public string LockName(int index) => $"latchkey-bench/{RunId}/{index}";

    /// <summary>Checks the options, naming the wrong value.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (Contenders < 1)
        {
            throw new ArgumentException($"Contenders must be at least 1; got {Contenders}.");
        }

        if (Locks < 1 || Locks > Contenders)
        {
            throw new ArgumentException($"Locks must be from 1 to the number of contenders ({Contenders}); got {Locks}.");
        }

        if (Processes < 1 || Processes > Contenders)
        {
            throw new ArgumentException($"Processes must be from 1 to the number of contenders ({Contenders}); got {Processes}.");
        }

        if (Duration <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Duration must be more than zero; got {Duration}.");
        }

        if (Warmup < TimeSpan.Zero || Hold < TimeSpan.Zero || Think < TimeSpan.Zero)
        {
            throw new ArgumentException("Warm-up, hold and think times must not be negative.");
        }
    }
}
