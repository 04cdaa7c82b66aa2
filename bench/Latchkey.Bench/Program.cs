using Latchkey.Bench;
using Spectre.Console;
using Spectre.Console.Cli;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var app = new CommandApp<BenchCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Latchkey.Bench");
    config.AddCommand<BenchWorkerCommand>(BenchRunner.WorkerCommand).IsHidden();
    config.SetExceptionHandler((ex, _) =>
    {
        AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
        return 70;
    });
});
return await app.RunAsync(args, stop.Token);
