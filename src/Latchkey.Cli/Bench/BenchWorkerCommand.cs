using Spectre.Console.Cli;

namespace Latchkey.Cli.Bench;

/// <summary>
/// The hidden <c>bench-worker</c> command a multi-process run starts: connects, says <c>ready</c>, waits for
/// <c>start TIMESTAMP</c> on standard input, runs its contenders, and prints <c>result JSON</c>.
/// </summary>
public sealed class BenchWorkerCommand : AsyncCommand<BenchWorkerSettings>
{
    /// <inheritdoc/>
    public override Task<int> ExecuteAsync(CommandContext context, BenchWorkerSettings settings, CancellationToken cancellationToken) =>
        RunAsync(settings, cancellationToken);

    /// <summary>Runs this worker's share of a bench (the command without its command-line plumbing).</summary>
    public static async Task<int> RunAsync(BenchWorkerSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.ToOptions() with { Processes = 1 };
        using var board = ReleaseBoard.Shared(settings.Board, options.Locks, create: false);
        var result = await BenchRunner.RunContendersAsync(
            options,
            settings.First,
            settings.Count,
            board,
            async () =>
            {
                await Console.Out.WriteLineAsync(BenchWorkerProtocol.Ready);
                await Console.Out.FlushAsync(cancellationToken);
                return BenchWorkerProtocol.ParseStart(await Console.In.ReadLineAsync(cancellationToken));
            },
            progress: null,
            cancellationToken);
        await Console.Out.WriteLineAsync(BenchWorkerProtocol.ResultPrefix + BenchRunner.Serialize(result));
        await Console.Out.FlushAsync(cancellationToken);
        return 0;
    }
}
