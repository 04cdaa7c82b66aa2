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
    /// Runs <paramref name="command"/> with standard streams inherited and <paramref name="environment"/> added, if
    /// <paramref name="hold"/> is still held right before it starts. On Linux the command is started through the
    /// <see cref="ExecShim"/>, so the kernel kills it if latchkey dies. Returns the command's exit code;
    /// <see cref="ExitCodes.Lost"/> if the hold was not held at the start or was lost first (the command and its
    /// descendants are killed at once: the lock no longer protects them); and <see cref="ExitCodes.Interrupted"/> if
    /// <paramref name="interrupted"/> fired first (SIGTERM, then a kill after <see cref="StopGrace"/>).
    /// </summary>
    public static async Task<int> RunAsync(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, IAnsiConsole errors, ILockHandle hold, CancellationToken interrupted)
    {
        var info = StartInfo(command);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        // A pause (GC, SIGSTOP, a slow start) between acquiring and here may have outlived the lease: check the
        // lease's deadline now, not only whether a timer has fired Lost yet.
        if (!hold.IsHeld)
        {
            errors.MarkupLineInterpolated($"[red]latchkey:[/] the lock was lost before '{command[0]}' started; it was not run.");
            return ExitCodes.Lost;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            await StartOnOwnThreadAsync(process);
        }
        catch (Win32Exception ex)
        {
            // ENOENT: no such command; EACCES and the rest: found but not runnable.
            var notFound = ex.NativeErrorCode == 2;
            errors.MarkupLineInterpolated($"[red]latchkey:[/] cannot run '{command[0]}': {ex.Message}");
            return notFound ? ExitCodes.NotFound : ExitCodes.CannotExecute;
        }

        var exited = process.WaitForExitAsync(CancellationToken.None);
        var whenLost = WhenCancelledAsync(hold.Lost);
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

    private static ProcessStartInfo StartInfo(IReadOnlyList<string> command)
    {
        ProcessStartInfo info;
        if (OperatingSystem.IsLinux())
        {
            info = ProcessLauncher.ForSelf(ExecShim.Arguments(command));
            info.RedirectStandardInput = false;
            info.RedirectStandardOutput = false;
            info.RedirectStandardError = false;
        }
        else
        {
            info = new ProcessStartInfo(command[0]) { UseShellExecute = false };
            foreach (var argument in command.Skip(1))
            {
                info.ArgumentList.Add(argument);
            }
        }

        return info;
    }

    /// <summary>
    /// Starts the process from a thread that lives until the process exits: Linux sends the death signal when the
    /// thread that forked the child ends, not the process, and a thread-pool thread may retire while the command runs.
    /// </summary>
    private static Task StartOnOwnThreadAsync(Process process)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                process.Start();
            }
            catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
            {
                started.SetException(ex);
                return;
            }

            started.SetResult();
            process.WaitForExit();
        })
        {
            IsBackground = true,
            Name = "latchkey command",
        };
        thread.Start();
        return started.Task;
    }

    private static Task WhenCancelledAsync(CancellationToken token) =>
        token.CanBeCanceled ? Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default) : Task.Delay(Timeout.Infinite, CancellationToken.None);
}
