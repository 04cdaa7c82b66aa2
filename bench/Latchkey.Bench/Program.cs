using Latchkey;
using Latchkey.Bench;
using Latchkey.Bench.Scenarios;
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
    config.AddCommand<HeldLocksCommand>("held-locks")
        .WithDescription("Hold many locks with one provider; show the managed heap they take, against memory://.")
        .WithExample("held-locks", "--backend", "etcd://127.0.0.1:2379", "--count", "10000");
    config.AddCommand<RoundTripsCommand>("round-trips")
        .WithDescription("Count the requests of an uncontended cycle with the server's own counters (Redis, etcd).")
        .WithExample("round-trips", "--backend", "redis://127.0.0.1:6379");
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
