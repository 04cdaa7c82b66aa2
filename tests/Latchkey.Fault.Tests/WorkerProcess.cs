using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Latchkey.Fault.Tests;

/// <summary>A child process that holds a lock (the worker's <c>hold</c> mode), which a test can kill, pause and resume.</summary>
public sealed partial class WorkerProcess : IAsyncDisposable
{
    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;
    private readonly Process _process;

    private WorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static WorkerProcess StartHolding(string connectionString, string name, string fenceFile, TimeSpan ttl)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Latchkey.Conformance.Worker.dll"), "hold", connectionString, name, fenceFile, $"{ttl.TotalMilliseconds}ms" })
        {
            start.ArgumentList.Add(arg);
        }

        return new WorkerProcess(Process.Start(start)!);
    }

    /// <summary>Reads the next line the worker prints, failing with its stderr if it exits first.</summary>
    public async Task<string> ReadLineAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var line = await _process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(limit, cancellationToken);
        if (line is null)
        {
            var errors = await _process.StandardError.ReadToEndAsync(cancellationToken);
            Assert.Fail($"The worker exited without output: {errors}");
        }

        return line!;
    }

    public Task SendAsync(string line) => _process.StandardInput.WriteLineAsync(line).ContinueWith(_ => _process.StandardInput.FlushAsync(), TaskScheduler.Default).Unwrap();

    public void Kill() => Signal(SigKill);

    public void Pause() => Signal(SigStop);

    public void Resume() => Signal(SigCont);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal(SigCont);
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Signal(int signal) => Assert.Equal(0, SendSignal(_process.Id, signal));

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
