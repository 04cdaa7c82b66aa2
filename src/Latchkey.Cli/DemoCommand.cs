using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Spectre.Console;

namespace Latchkey.Cli;

/// <summary>
/// <c>latchkey demo</c>: on a fresh <c>file://</c> directory, a worker process takes the lock and is killed
/// with SIGKILL while holding it; the lock passes on at once to one of the waiting workers (three tasks in
/// this process, two other processes), which then take turns; at the end the journals every worker wrote
/// inside its critical sections prove that no two sections overlapped and that fencing tokens increased.
/// </summary>
internal sealed class DemoCommand(CliConsoles consoles)
{
    private const string LockName = "demo";
    private const int TaskWorkers = 3;
    private const int ProcessWorkers = 2;
    private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(120);
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(28);
    private static readonly string[] Colors = ["aqua", "lime", "yellow", "fuchsia", "orange1", "deepskyblue1", "red"];

    private readonly IAnsiConsole _out = consoles.Out;
    private readonly Dictionary<string, string> _where = [];
    private readonly Dictionary<string, string> _color = [];
    private long _start;

    public async Task<int> ExecuteAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeLimit);
        var directory = Directory.CreateTempSubdirectory("latchkey-demo-");
        var processes = new List<Process>();
        try
        {
            return await RunDemoAsync(settings, directory.FullName, processes, limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            consoles.Error.MarkupLine($"[red]latchkey demo:[/] did not finish within {TimeLimit.TotalSeconds:0} s.");
            return ExitCodes.CheckFailed;
        }
        finally
        {
            foreach (var process in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }

            directory.Delete(recursive: true);
        }
    }

    private async Task<int> RunDemoAsync(DemoSettings settings, string directory, List<Process> processes, CancellationToken cancellationToken)
    {
        _start = Stopwatch.GetTimestamp();
        var backend = settings.Backend is { } given ? Credentials.Apply(given, passwordFile: null) : "file://" + Path.Combine(directory, "locks");
        var journals = Path.Combine(directory, "journal");
        Directory.CreateDirectory(journals);
        ILockProvider provider;
        try
        {
            provider = await Connections.OpenAsync(backend, cancellationToken);
        }
        catch (FormatException) when (settings.Backend is null)
        {
            // A build without the file backend: still show what can be shown in one process.
            _out.MarkupLine("[yellow]file:// is not available in this build; showing in-process workers on memory:// only.[/]");
            backend = "memory://demo-" + Guid.NewGuid().ToString("N");
            provider = await Connections.OpenAsync(backend, cancellationToken);
        }

        await using var ownedProvider = provider;
        var crossProcess = provider.Capabilities.CrossProcess;
        _out.Write(new Rule("[bold]latchkey demo[/]").LeftJustified());
        _out.MarkupLineInterpolated($"backend [bold]{Secrets.Display(backend)}[/], lock [bold]'{LockName}'[/]; each worker holds it {Hold.TotalMilliseconds:0} ms a round, {settings.Rounds} rounds.");
        if (!crossProcess)
        {
            _out.MarkupLineInterpolated($"[yellow]{provider.Capabilities.Backend}:// serves one process only: no worker processes, no kill.[/]");
        }

        var events = Channel.CreateUnbounded<DemoEvent>();
        var runs = new List<Task>();

        // 1. A worker process takes the lock and keeps it until it is killed.
        string? victim = null;
        Process? victimProcess = null;
        if (crossProcess)
        {
            victim = "P" + (ProcessWorkers + 1);
            _out.MarkupLineInterpolated($"Starting worker process {victim}; it will take the lock and hold it until it is killed.");
            (victimProcess, var victimRun) = StartProcessWorker(victim, backend, journals, settings.Rounds, dieHolding: true, events.Writer, cancellationToken);
            processes.Add(victimProcess);
            runs.Add(victimRun);
            await ShowUntilAsync(events.Reader, e => e.Worker == victim && e.Kind == DemoEventKind.Holding, cancellationToken);
        }

        // 2. The others line up behind it: tasks in this process, and other processes.
        var workerProviders = new List<ILockProvider>();
        try
        {
            for (var i = 1; i <= TaskWorkers; i++)
            {
                var name = "T" + i;
                var taskProvider = await Connections.OpenAsync(backend, cancellationToken);
                workerProviders.Add(taskProvider);
                Register(name, "task in this process");
                var worker = new DemoWorker(name, taskProvider.CreateLock(LockName), Path.Combine(journals, name + ".log"), (kind, token) =>
                    events.Writer.TryWrite(new DemoEvent(name, kind, token, Stopwatch.GetTimestamp())));
                runs.Add(Task.Run(() => worker.RunAsync(settings.Rounds, Hold, dieHolding: false, cancellationToken), cancellationToken));
            }

            for (var i = 1; crossProcess && i <= ProcessWorkers; i++)
            {
                var (process, run) = StartProcessWorker("P" + i, backend, journals, settings.Rounds, dieHolding: false, events.Writer, cancellationToken);
                processes.Add(process);
                runs.Add(run);
            }

            var killedAt = 0L;
            if (victimProcess is not null)
            {
                // 3. Once every other worker waits, kill the holder: no release, no clean-up, no TTL.
                var waiting = new HashSet<string>();
                await ShowUntilAsync(events.Reader, e => e.Kind == DemoEventKind.Waiting && waiting.Add(e.Worker) && waiting.Count == TaskWorkers + ProcessWorkers, cancellationToken);
                _out.MarkupLine($"{Stamp(Stopwatch.GetTimestamp())}  [bold red]SIGKILL[/] → {Who(victim!)} while it holds the lock; {TaskWorkers + ProcessWorkers} workers are waiting.");
                killedAt = Stopwatch.GetTimestamp();
                victimProcess.Kill();
                var next = await ShowUntilAsync(events.Reader, e => e.Kind == DemoEventKind.Acquired, cancellationToken);
                var after = Stopwatch.GetElapsedTime(killedAt, next.Timestamp);
                var why = provider.Capabilities.Leases
                    ? "the dead holder's lease expired: this backend frees a crashed holder's lock after its TTL"
                    : "the OS released the dead holder's lock; no TTL was waited out";
                _out.MarkupLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"          [bold]→ the lock passed to {Who(next.Worker)} {after.TotalMilliseconds:0.0} ms after the kill[/] [grey]({why})[/]"));
            }

            var all = Task.WhenAll(runs);
            _ = all.ContinueWith(t => events.Writer.TryComplete(t.Exception), TaskScheduler.Default);
            await foreach (var e in events.Reader.ReadAllAsync(cancellationToken))
            {
                Show(e);
            }

            await all;
            return Conclude(journals, victim, killedAt);
        }
        finally
        {
            foreach (var workerProvider in workerProviders)
            {
                await workerProvider.DisposeAsync();
            }
        }
    }

    private (Process Process, Task Run) StartProcessWorker(string name, string backend, string journals, int rounds, bool dieHolding, ChannelWriter<DemoEvent> events, CancellationToken cancellationToken)
    {
        var arguments = new List<string>
        {
            LatchkeyApp.DemoWorkerCommandName, "--lock", LockName, "--worker", name,
            "--rounds", rounds.ToString(CultureInfo.InvariantCulture), "--hold", DurationConverter.Format(Hold),
            "--journal", Path.Combine(journals, name + ".log"),
        };
        if (dieHolding)
        {
            arguments.Add("--die-holding");
        }

        var info = ProcessLauncher.ForSelf(arguments);

        // Through the environment, not the command line, where any user's ps would show a password in it.
        info.Environment[DefaultBackend.EnvironmentVariable] = backend;
        var process = Process.Start(info)
            ?? throw new InvalidOperationException("Could not start a demo worker process.");
        Register(name, $"process {process.Id}");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        return (process, Task.Run(
            async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
                {
                    var parts = line.Split(' ');
                    events.TryWrite(new DemoEvent(name, Enum.Parse<DemoEventKind>(parts[0]), long.Parse(parts[1], CultureInfo.InvariantCulture), Stopwatch.GetTimestamp()));
                }

                await process.WaitForExitAsync(cancellationToken);
                if (process.ExitCode != 0 && !dieHolding)
                {
                    throw new InvalidOperationException($"Worker {name} exited with {process.ExitCode}: {await errors}");
                }
            },
            cancellationToken));
    }

    private async Task<DemoEvent> ShowUntilAsync(ChannelReader<DemoEvent> events, Func<DemoEvent, bool> until, CancellationToken cancellationToken)
    {
        while (true)
        {
            var e = await events.ReadAsync(cancellationToken);
            Show(e);
            if (until(e))
            {
                return e;
            }
        }
    }

    private void Register(string name, string where)
    {
        _where[name] = where;
        _color[name] = Colors[_color.Count % Colors.Length];
    }

    private void Show(DemoEvent e)
    {
        var what = e.Kind switch
        {
            DemoEventKind.Waiting => "[grey]waits[/]",
            DemoEventKind.Acquired => $"[bold]acquired[/]  fencing token [bold]{e.Token}[/]",
            DemoEventKind.Holding => $"[bold]acquired[/]  fencing token [bold]{e.Token}[/] [red](and will not let go)[/]",
            _ => $"[grey]released  token {e.Token}[/]",
        };
        _out.MarkupLine($"{Stamp(e.Timestamp)}  {Who(e.Worker)} {what}");
    }

    private string Stamp(long timestamp) =>
        $"[grey]{Stopwatch.GetElapsedTime(_start, timestamp).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture),7}s[/]";

    private string Who(string worker) =>
        $"[{_color[worker]}]{worker}[/] [grey]({Markup.Escape(_where[worker])})[/]";

    private int Conclude(string journals, string? victim, long killedAt)
    {
        var sections = _where.Keys.SelectMany(w => DemoCheck.Read(w, Path.Combine(journals, w + ".log"))).ToList();
        var table = new Table().Border(TableBorder.Rounded).Title("critical sections");
        table.AddColumn("worker");
        table.AddColumn("runs as");
        table.AddColumn(new TableColumn("sections").RightAligned());
        table.AddColumn("fencing tokens");
        foreach (var worker in _where.Keys.Order(StringComparer.Ordinal))
        {
            var own = sections.Where(s => s.Worker == worker).ToList();
            table.AddRow(
                $"[{_color[worker]}]{worker}[/]",
                Markup.Escape(_where[worker] + (worker == victim ? ", killed holding" : string.Empty)),
                own.Count.ToString(CultureInfo.InvariantCulture),
                string.Join(", ", own.Select(s => s.Token)));
        }

        _out.Write(table);
        var failure = DemoCheck.Check(sections, victim, killedAt);
        if (failure is not null)
        {
            _out.MarkupLineInterpolated($"[bold red]✗ check failed:[/] {failure}");
            return ExitCodes.CheckFailed;
        }

        var tokens = sections.Select(s => s.Token).Order().ToList();
        _out.MarkupLineInterpolated(
            $"[bold green]✓ check passed:[/] {sections.Count} critical sections by {_where.Count} workers never overlapped, and fencing tokens strictly increased ({tokens[0]} → {tokens[^1]}).");
        return ExitCodes.Ok;
    }
}
