using System.Reflection;
using System.Text;
using Latchkey.Cli.Bench;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Cli;

/// <summary>The <c>latchkey</c> command line: its commands, and how errors become exit codes.</summary>
internal static class LatchkeyApp
{
    /// <summary>The hidden command the demo starts its worker processes with.</summary>
    public const string DemoWorkerCommandName = "demo-worker";

    private static readonly (string Name, string Usage, string Description)[] Commands =
    [
        ("run", "run <NAME> [OPTIONS] -- COMMAND [ARGS...]", "Run a command while holding a lock. The command gets LATCHKEY_FENCING_TOKEN and LATCHKEY_LOCK_NAME; its exit code is passed through."),
        ("status", "status <NAME> [OPTIONS]", "Show who holds a lock (token, age) and who waits for it."),
        ("elect", "elect <NAME> [OPTIONS] -- COMMAND [ARGS...]", "Campaign for leadership, run a command while leader, resign when it exits."),
        ("demo", "demo [OPTIONS]", "Show workers (tasks and processes) contending for one lock, a holder killed, and a check that no two critical sections overlapped."),
        ("bench", "bench [OPTIONS]", "Measure a backend: cycles/s, acquire and hand-off latency, fairness, memory."),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsoles consoles, CancellationToken cancellationToken)
    {
        if (args is ["--version"])
        {
            consoles.Out.WriteLine(Version);
            return ExitCodes.Ok;
        }

        if (args.Count == 0 || args[0] is "-h" or "--help" or "-?")
        {
            consoles.Out.Write(new Text(TopHelp()));
            return args.Count == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }

        if (StrictArguments.FindError(args) is { } error)
        {
            consoles.Error.MarkupLineInterpolated($"[red]latchkey:[/] {Secrets.CleanError(error)}");
            return ExitCodes.Usage;
        }

        var separator = args.ToList().IndexOf("--");
        var options = separator < 0 ? args.Skip(1).ToList() : args.Skip(1).Take(separator - 1).ToList();
        IReadOnlyList<string> command = separator < 0 ? [] : args.Skip(separator + 1).ToList();
        if (options.Any(o => o is "-h" or "--help" or "-?"))
        {
            consoles.Out.Write(new Text(CommandHelp(args[0])));
            return ExitCodes.Ok;
        }

        try
        {
            return args[0] switch
            {
                "run" => await new RunCommand(consoles).ExecuteAsync(Validated(SettingsBinder.Bind<RunSettings>(options)), command, cancellationToken),
                "status" => await new StatusCommand(consoles).ExecuteAsync(Validated(SettingsBinder.Bind<StatusSettings>(options)), cancellationToken),
                "elect" => await new ElectCommand(consoles).ExecuteAsync(Validated(SettingsBinder.Bind<ElectSettings>(options)), command, cancellationToken),
                "demo" => await new DemoCommand(consoles).ExecuteAsync(Validated(SettingsBinder.Bind<DemoSettings>(options)), cancellationToken),
                "bench" => await BenchAsync(consoles, Validated(SettingsBinder.Bind<BenchSettings>(options)), cancellationToken),
                DemoWorkerCommandName => await DemoWorkerCommand.ExecuteAsync(Validated(SettingsBinder.Bind<DemoWorkerSettings>(options)), cancellationToken),
                BenchRunner.WorkerCommand => await BenchWorkerCommand.RunAsync(Validated(SettingsBinder.Bind<BenchWorkerSettings>(options)), cancellationToken),
                _ => throw new FormatException($"unknown command '{args[0]}'."),
            };
        }
        catch (Exception ex)
        {
            return Report(consoles.Error, ex);
        }
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

    private static async Task<int> BenchAsync(CliConsoles consoles, BenchSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Plot is not null)
        {
            throw new FormatException(BenchCommand.PlotNeedsHarness);
        }

        await BenchCommand.MeasureAsync(consoles.Out, settings, workerApp: null, cancellationToken);
        return ExitCodes.Ok;
    }

    private static T Validated<T>(T settings)
        where T : CommandSettings
    {
        var result = settings.Validate();
        return result.Successful ? settings : throw new FormatException(result.Message);
    }

    private static string TopHelp()
    {
        var text = new StringBuilder("USAGE:\n    latchkey <COMMAND> [OPTIONS]\n    latchkey --version\n\nCOMMANDS:\n");
        foreach (var (name, _, description) in Commands)
        {
            text.Append("    ").Append(name.PadRight(10)).Append(description).Append('\n');
        }

        return text.Append("\nEvery command takes --help.\n").ToString();
    }

    private static string CommandHelp(string name)
    {
        var (_, usage, description) = Commands.First(c => c.Name == name);
        return name switch
        {
            "run" => SettingsBinder.Help<RunSettings>(usage, description),
            "status" => SettingsBinder.Help<StatusSettings>(usage, description),
            "elect" => SettingsBinder.Help<ElectSettings>(usage, description),
            "demo" => SettingsBinder.Help<DemoSettings>(usage, description),
            _ => SettingsBinder.Help<BenchSettings>(usage, description),
        };
    }

    private static int Report(IAnsiConsole errors, Exception exception)
    {
        var (code, message) = exception switch
        {
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
