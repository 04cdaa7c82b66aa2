using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Cli.Bench;

/// <summary><c>latchkey bench</c>: runs the bench engine and shows its figures (a table, and JSON on request).</summary>
public sealed class BenchCommand(IAnsiConsole console) : AsyncCommand<BenchSettings>
{
    /// <summary>What the tool says when asked for a plot: plotting lives with the harness, so the tool does not carry its native libraries.</summary>
    public const string PlotNeedsHarness =
        "--plot is an option of the bench harness, not of the latchkey tool (plotting needs SkiaSharp's native libraries, which the tool leaves out). " +
        "Run the same options there: dotnet run --project bench/Latchkey.Bench -c Release -- ... --plot FILE";

    /// <inheritdoc/>
    public override ValidationResult Validate(CommandContext context, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Plot is not null ? ValidationResult.Error(PlotNeedsHarness) : base.Validate(context, settings);
    }

    /// <inheritdoc/>
    public override async Task<int> ExecuteAsync(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        await MeasureAsync(console, settings, workerApp: null, cancellationToken);
        return 0;
    }

    /// <summary>Runs a bench with a progress bar, shows its table and writes its JSON if asked.</summary>
    /// <param name="console">Where the progress and the table go.</param>
    /// <param name="settings">The command line's options.</param>
    /// <param name="workerApp">The app started for worker processes (see <see cref="BenchRunner.RunAsync"/>); null: this CLI.</param>
    /// <param name="cancellationToken">Stops the run early.</param>
    /// <returns>The figures, for a caller that shows them some other way too (the harness's plot).</returns>
    public static async Task<BenchSummary> MeasureAsync(IAnsiConsole console, BenchSettings settings, string? workerApp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.ToOptions();
        BenchSummary? summary = null;
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progressContext =>
            {
                var task = progressContext.AddTask($"{options.Contenders} contenders on {Markup.Escape(Secrets.Display(options.Backend))}", maxValue: 1);
                summary = await BenchRunner.RunAsync(options, new Progress<double>(p => task.Value = p), workerApp, cancellationToken);
            });

        BenchReport.Render(console, summary!);
        if (settings.Json is not null)
        {
            await File.WriteAllTextAsync(settings.Json, summary!.ToJson(), cancellationToken);
            console.MarkupLineInterpolated($"[grey]figures written to {settings.Json}[/]");
        }

        return summary!;
    }
}
