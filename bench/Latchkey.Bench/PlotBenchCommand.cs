using Latchkey.Cli.Bench;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Bench;

/// <summary>The harness's default command: <c>latchkey bench</c>'s engine and options, with the peers' backends loaded and <c>--plot</c>.</summary>
internal sealed class PlotBenchCommand(IAnsiConsole console) : AsyncCommand<BenchSettings>
{
    /// <inheritdoc/>
    public override async Task<int> ExecuteAsync(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        // Worker processes are this harness too, so that they serve the peers' schemes as well.
        var summary = await BenchCommand.MeasureAsync(console, settings, typeof(PlotBenchCommand).Assembly.Location, cancellationToken);
        if (settings.Plot is not null)
        {
            BenchPlot.Save(summary, settings.Plot);
            console.MarkupLineInterpolated($"[grey]chart saved to {settings.Plot}[/]");
        }

        return 0;
    }
}
