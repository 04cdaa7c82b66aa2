using System.ComponentModel;
using System.Diagnostics;
using Spectre.Console;

namespace Latchkey.Cli;

/// <summary>Runs the user's command while a lock or leadership is held, and stops it when that ends.</summary>
internal static class ChildProcess
{
    /// <summary>How long a command gets to exit after SIGTERM (on Ctrl-C) before it is killed.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <paramref name="command"/> with standard streams inherited and <paramref name="environment"/> added.
    /// Returns the command's exit code; <see cref="ExitCodes.Lost"/> if <paramref name="lost"/> fired first (the
    /// command and its descendants are killed at once: the lock no longer protects them); and
    /// <see cref="ExitCodes.Interrupted"/> if <paramref name="interrupted"/> fired first (SIGTERM, then a kill
    /// after <see cref="StopGrace"/>).
    /// </summary>
    public static async Task<int> RunAsync(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, IAnsiConsole errors, CancellationToken lost, CancellationToken interrupted)
    {
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            // ENOENT: no such command; EACCES and the rest: found but not runnable.
            var notFound = ex.NativeErrorCode == 2;
            errors.MarkupLineInterpolated($"[red]latchkey:[/] cannot run '{command[0]}': {ex.Message}");
            return notFound ? ExitCodes.NotFound : ExitCodes.CannotExecute;
        }

        var exited = process.WaitForExitAsync(CancellationToken.None);
        var whenLost = WhenCancelledAsync(lost);
        var whenInterrupted = WhenCancelledAsync(interrupted);
        var first = await Task.WhenAny(exited, whenLost, whenInterrupted);
        if (first == exited)
        {
            return process.ExitCode;
        }

        if (first == whenLost)
        {
            process.Kill(entireProcessTree: true);
            await exited;
            errors.MarkupLineInterpolated($"[red]latchkey:[/] the lock was lost while '{command[0]}' (pid {process.Id}) ran; it was killed.");
            return ExitCodes.Lost;
        }

        NativeMethods.TrySignal(process.Id, NativeMethods.SigTerm);
        if (await Task.WhenAny(exited, Task.Delay(StopGrace, CancellationToken.None)) != exited)
        {
            process.Kill(entireProcessTree: true);
            await exited;
        }

        errors.MarkupLineInterpolated($"[yellow]latchkey:[/] interrupted; '{command[0]}' stopped, lock released.");
        return ExitCodes.Interrupted;
    }

    private static Task WhenCancelledAsync(CancellationToken token) =>
        token.CanBeCanceled ? Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default) : Task.Delay(Timeout.Infinite, CancellationToken.None);
}
