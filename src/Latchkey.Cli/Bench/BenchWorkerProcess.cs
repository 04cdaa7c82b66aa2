using System.Diagnostics;
using System.Globalization;

namespace Latchkey.Cli.Bench;

/// <summary>A worker process of a multi-process run, seen from its parent.</summary>
internal sealed class BenchWorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _errors;

    private BenchWorkerProcess(Process process)
    {
        _process = process;
        _errors = process.StandardError.ReadToEndAsync();
    }

    public static BenchWorkerProcess Start(string? workerApp, BenchOptions options, int first, int count, string boardPath)
    {
        var arguments = new List<string>
        {
            BenchRunner.WorkerCommand,
            "--contenders", options.Contenders.ToString(CultureInfo.InvariantCulture),
            "--locks", options.Locks.ToString(CultureInfo.InvariantCulture),
            "--duration", DurationConverter.Format(options.Duration),
            "--warmup", DurationConverter.Format(options.Warmup),
            "--hold", DurationConverter.Format(options.Hold),
            "--think", DurationConverter.Format(options.Think),
            "--ttl", DurationConverter.Format(options.Ttl),
            "--run-id", options.RunId,
            "--first", first.ToString(CultureInfo.InvariantCulture),
            "--count", count.ToString(CultureInfo.InvariantCulture),
            "--board", boardPath,
        };
        if (options.SharedProvider)
        {
            arguments.Add("--shared-provider");
        }

        var info = workerApp is null ? ProcessLauncher.ForSelf(arguments) : ProcessLauncher.For(workerApp, arguments);

        // Through the environment, not the command line, where any user's ps would show a password in it.
        info.Environment[DefaultBackend.EnvironmentVariable] = options.Backend;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start a bench worker process.");
        return new BenchWorkerProcess(process);
    }

    public async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var line = await _process.StandardOutput.ReadLineAsync(cancellationToken);
        if (line != BenchWorkerProtocol.Ready)
        {
            throw await FailureAsync($"sent '{line}' instead of '{BenchWorkerProtocol.Ready}'");
        }
    }

    public async Task StartAsync(long startTimestamp)
    {
        await _process.StandardInput.WriteLineAsync(BenchWorkerProtocol.StartLine(startTimestamp));
        await _process.StandardInput.FlushAsync();
    }

    public async Task<ProcessResult> ResultAsync(CancellationToken cancellationToken)
    {
        var line = await _process.StandardOutput.ReadLineAsync(cancellationToken);
        if (line is null || !line.StartsWith(BenchWorkerProtocol.ResultPrefix, StringComparison.Ordinal))
        {
            throw await FailureAsync($"sent '{line}' instead of its result");
        }

        await _process.WaitForExitAsync(cancellationToken);
        return BenchRunner.Deserialize(line[BenchWorkerProtocol.ResultPrefix.Length..]);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private async Task<Exception> FailureAsync(string what)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        // The reader was started by this object on a console app's thread pool: no context to deadlock on.
#pragma warning disable VSTHRD003
        var errors = await _errors;
#pragma warning restore VSTHRD003
        return new InvalidOperationException($"Bench worker {_process.Id} {what}. {errors.Trim()}");
    }
}
