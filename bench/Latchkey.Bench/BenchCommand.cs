using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Bench;

/// <summary><c>latchkey bench</c>: runs the harness and shows its figures.</summary>
public sealed class BenchCommand(IAnsiConsole console) : AsyncCommand<BenchSettings>
{
    /// <inheritdoc/>
    public override ValidationResult Validate(CommandContext context, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            settings.ToOptions().Validate();
            return ValidationResult.Success();
        }
        catch (ArgumentException ex)
        {
            return ValidationResult.Error(ex.Message);
        }
    }

    /// <inheritdoc/>
    public override async Task<int> ExecuteAsync(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.ToOptions();
        BenchSummary? summary = null;
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progressContext =>
            {
                var task = progressContext.AddTask($"{options.Contenders} contenders on {Markup.Escape(options.Backend)}", maxValue: 1);
                summary = await BenchRunner.RunAsync(options, new Progress<double>(p => task.Value = p), cancellationToken);
            });

        BenchReport.Render(console, summary!);
        if (settings.Json is not null)
        {
            await File.WriteAllTextAsync(settings.Json, summary!.ToJson(), cancellationToken);
            console.MarkupLineInterpolated($"[grey]figures written to {settings.Json}[/]");
        }

        if (settings.Plot is not null)
        {
            BenchReport.Plot(summary!, settings.Plot);
            console.MarkupLineInterpolated($"[grey]chart saved to {settings.Plot}[/]");
        }

        return 0;
    }
}
