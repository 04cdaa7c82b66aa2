using Latchkey;
using Latchkey.Bench;
using Latchkey.Cli.Bench;
using Spectre.Console;
using Spectre.Console.Cli;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var app = new CommandApp<PlotBenchCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Latchkey.Bench");
    config.AddCommand<BenchWorkerCommand>(BenchRunner.WorkerCommand).IsHidden();
    config.SetExceptionHandler((ex, _) =>
    {
        AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");

        // The CLI's exit codes: 64 for usage errors, 69 for an unreachable backend, 70 otherwise.
        return ex switch
        {
            CommandAppException or FormatException or ArgumentException => 64,
            LockBackendUnavailableException => 69,
            _ => 70,
        };
    });
});
return await app.RunAsync(args, stop.Token);
