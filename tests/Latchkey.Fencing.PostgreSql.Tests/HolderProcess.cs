using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>
/// A lock holder in a process of its own (Latchkey.Fencing.PostgreSql.Worker) that a test can stop and
/// resume with SIGSTOP/SIGCONT and tell to write, as tests/Latchkey.Fault.Tests/WorkerProcess.cs does.
/// </summary>
internal sealed partial class HolderProcess : IAsyncDisposable
{
    private const int SigCont = 18;
    private const int SigStop = 19;
    private readonly Process _process;

    private HolderProcess(Process process) => _process = process;

    /// <summary>Starts the holder and waits until it holds the lock; returns it with its fencing token.</summary>
    public static async Task<(HolderProcess Holder, long Token)> StartAsync(
        string lockUri, string name, TimeSpan ttl, Scratch db, TimeSpan patience, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "Latchkey.Fencing.PostgreSql.Worker.dll"),
            lockUri, name, $"{ttl.TotalMilliseconds}ms", PostgresTestServer.ConnectionString, db.FenceTable, db.Accounts, "1",
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var holder = new HolderProcess(Process.Start(start)!);
        var held = await holder.ReadLineAsync(patience, cancellationToken);
        Assert.StartsWith("held ", held, StringComparison.Ordinal);
        return (holder, long.Parse(held["held ".Length..], CultureInfo.InvariantCulture));
    }

    /// <summary>Sends one command and returns the line the holder answers.</summary>
    public async Task<string> AskAsync(string command, TimeSpan patience, CancellationToken cancellationToken)
    {
        await SendAsync(command, cancellationToken);
        return await ReadLineAsync(patience, cancellationToken);
    }

    /// <summary>Sends one command without waiting for the answer (read it with <see cref="ReadLineAsync"/>).</summary>
    public async Task SendAsync(string command, CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync(cancellationToken);
    }

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

    public async Task<string> ReadLineAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        var line = await _process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(patience, cancellationToken);
        if (line is null)
        {
            Assert.Fail($"The holder exited without answering: {await _process.StandardError.ReadToEndAsync(cancellationToken)}");
        }

        return line!;
    }

    private void Signal(int signal) => Assert.Equal(0, SendSignal(_process.Id, signal));

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
