using System.Diagnostics;
using System.Globalization;

namespace Latchkey.File.Tests;

/// <summary>A child process running Latchkey.File.Worker; killed (SIGKILL) if still running when disposed.</summary>
internal sealed class Worker : IAsyncDisposable
{
    private readonly Process _process;

    private Worker(Process process) => _process = process;

    public int Id => _process.Id;

    public static Worker Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Latchkey.File.Worker.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new Worker(Process.Start(start)!);
    }

    /// <summary>Reads the next line the worker prints, failing if it exits or takes longer than a bound.</summary>
    public async Task<string> ReadLineAsync()
    {
        var line = await _process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(FileTests.Patience);
        if (line is null)
        {
            Assert.Fail($"Worker exited ({_process.ExitCode}) before printing: {await _process.StandardError.ReadToEndAsync()}");
        }

        return line;
    }

    /// <summary>Waits for "held TOKEN" and returns the token.</summary>
    public async Task<long> WaitUntilHeldAsync()
    {
        var line = await ReadLineAsync();
        Assert.StartsWith("held ", line, StringComparison.Ordinal);
        return long.Parse(line["held ".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>Sends SIGKILL and waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(FileTests.Patience);
    }

    /// <summary>Closes its stdin, which makes a holding worker release and exit.</summary>
    public async Task<int> StopAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(FileTests.Patience);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
