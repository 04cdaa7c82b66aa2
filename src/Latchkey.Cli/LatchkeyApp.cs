using System.Reflection;
using Latchkey.Cli.Bench;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>The <c>latchkey</c> command line: its commands, and how errors become exit codes.</summary>
internal static class LatchkeyApp
{
    /// <summary>The hidden command the demo starts its worker processes with.</summary>
    public const string DemoWorkerCommandName = "demo-worker";

    public static Task<int> RunAsync(IReadOnlyList<string> args, CliConsoles consoles, CancellationToken cancellationToken)
    {
        if (args is ["--version"])
        {
            consoles.Out.WriteLine(Version);
            return Task.FromResult(ExitCodes.Ok);
        }

        if (StrictArguments.FindError(args) is { } error)
        {
            consoles.Error.MarkupLineInterpolated($"[red]latchkey:[/] {Secrets.CleanError(error)}");
            return Task.FromResult(ExitCodes.Usage);
        }

        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("latchkey");
            config.ConfigureConsole(consoles.Out);
            config.Settings.Registrar.RegisterInstance(consoles);
            config.CancellationExitCode(ExitCodes.Interrupted);

            config.AddCommand<RunCommand>("run")
                .WithDescription("Run a command while holding a lock. The command gets LATCHKEY_FENCING_TOKEN and LATCHKEY_LOCK_NAME; its exit code is passed through.")
                .WithExample("run", "nightly-report", "--", "./report.sh")
                .WithExample("run", "deploy", "--no-wait", "--", "make", "deploy")
                .WithExample("run", "deploy", "--timeout", "30s", "--backend", "etcd://127.0.0.1:2379", "--", "make", "deploy");
            config.AddCommand<StatusCommand>("status")
                .WithDescription("Show who holds a lock (token, age) and who waits for it.")
                .WithExample("status", "nightly-report")
                .WithExample("status", "workers", "--kind", "semaphore", "--json");
            config.AddCommand<ElectCommand>("elect")
                .WithDescription("Campaign for leadership, run a command while leader, resign when it exits.")
                .WithExample("elect", "scheduler", "--value", "host-a:8080", "--", "./scheduler");
            config.AddCommand<DemoCommand>("demo")
                .WithDescription("Show workers (tasks and processes) contending for one lock, a holder killed, and a check that no two critical sections overlapped.");
            config.AddCommand<BenchCommand>("bench")
                .WithDescription("Measure a backend: cycles/s, acquire and hand-off latency, fairness, memory.")
                .WithExample("bench", "--backend", "memory://", "--contenders", "1")
                .WithExample("bench", "--contenders", "8", "--hold", "100us", "--think", "100us", "--json", "bench.json");
            config.AddCommand<DemoWorkerCommand>(DemoWorkerCommandName).IsHidden();
            config.AddCommand<BenchWorkerCommand>(BenchRunner.WorkerCommand).IsHidden();

            config.SetExceptionHandler((exception, _) => Report(consoles.Error, exception));
        });
        return app.RunAsync(args, cancellationToken);
    }

    /// <summary>The version <c>latchkey --version</c> prints: the package version, without the build's commit suffix.</summary>
    public static string Version
    {
        get
        {
            var assembly = typeof(LatchkeyApp).Assembly;
            var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            return informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString() ?? "unknown";
        }
    }

    private static int Report(IAnsiConsole errors, Exception exception)
    {
        var (code, message) = exception switch
        {
            // Spectre wraps a converter's exception ("Failed to convert..."); ours says what a duration looks like.
            CommandAppException { InnerException: FormatException inner } => (ExitCodes.Usage, inner.Message),
            CommandAppException e => (ExitCodes.Usage, e.Message),
            FormatException or ArgumentException => (ExitCodes.Usage, exception.Message),
            // A lost lock is 76 whatever the backend and wherever it surfaces (a check, a release, a session that ended).
            LockLostException => (ExitCodes.Lost, exception.Message),
            LockBackendUnavailableException => (ExitCodes.Unavailable, exception.Message),
            OperationCanceledException => (ExitCodes.Interrupted, "interrupted."),
            _ => (ExitCodes.Internal, exception.ToString()),
        };
        errors.MarkupLineInterpolated($"[red]latchkey:[/] {Secrets.CleanError(message)}");
        return code;
    }
}
