using System.Diagnostics;
using System.Globalization;

namespace Latchkey.Cli.Tests;

/// <summary>The real latchkey binary in its own process.</summary>
internal static class LatchkeyProcess
{
    public const int SigKill = 9;
    public const int SigStop = 19;
    public const int SigCont = 18;

    /// <summary>Starts latchkey with standard streams inherited (so nothing blocks on a full pipe).</summary>
    public static Process Start(string[] arguments)
    {
        var info = ProcessLauncher.For(typeof(LatchkeyApp).Assembly.Location, arguments);
        info.RedirectStandardInput = false;
        info.RedirectStandardOutput = false;
        info.RedirectStandardError = false;
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start latchkey.");
    }

    /// <summary>Runs latchkey to its end (at most <paramref name="limit"/>) with <paramref name="environment"/> added, capturing its output.</summary>
    public static async Task<CliResult> RunToEndAsync(string[] arguments, IReadOnlyDictionary<string, string> environment, TimeSpan limit)
    {
        var info = ProcessLauncher.For(typeof(LatchkeyApp).Assembly.Location, arguments);
        info.RedirectStandardInput = false;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start latchkey.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(limit);
        await process.WaitForExitAsync(cancel.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>A command for latchkey to run that writes its pid to <paramref name="file"/> (atomically) and sleeps 60 s.</summary>
    public static string[] SleeperWritingPidTo(Scratch scratch, string file) =>
        ["sh", "-c", $"echo $$ > '{scratch.File(file)}.tmp'; mv '{scratch.File(file)}.tmp' '{scratch.File(file)}'; exec sleep 60"];

    /// <summary>Waits for the sleeper's pid file and reads it.</summary>
    public static async Task<int> ReadPidAsync(Scratch scratch, string file, TimeSpan limit)
    {
        await scratch.WaitForFileAsync(file, limit);
        return int.Parse((await File.ReadAllTextAsync(scratch.File(file))).Trim(), CultureInfo.InvariantCulture);
    }

    public static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');

    /// <summary>Kills a pid if it is still there (cleanup of a test's stray child).</summary>
    public static void KillIfAlive(int pid)
    {
        if (IsAlive(pid))
        {
            NativeMethods.TrySignal(pid, SigKill);
        }
    }
}
