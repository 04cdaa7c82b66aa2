using System.Globalization;
using System.Runtime.InteropServices;

namespace Latchkey.Cli;

/// <summary>
/// The hidden first step of every command <c>run</c> and <c>elect</c> start: <c>latchkey __exec-child PARENT -- COMMAND…</c>
/// asks the kernel to SIGKILL it when latchkey dies, then becomes the command with <c>execvp</c>. The death signal
/// survives exec, so the command can never outlive latchkey and with it the lock's protection, however latchkey
/// dies (issue 19 item 7: kill -9 or the OOM killer). .NET's Process cannot set it between fork and exec itself.
/// </summary>
internal static class ExecShim
{
    public const string CommandName = "__exec-child";

    /// <summary>The arguments that start <paramref name="command"/> through the shim, for this process as parent.</summary>
    public static IEnumerable<string> Arguments(IReadOnlyList<string> command) =>
        [CommandName, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--", .. command];

    /// <summary>Runs the shim: never returns on success (the process becomes the command).</summary>
    public static int Run(string[] args)
    {
        if (args.Length < 4 || args[2] != "--" || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var parent))
        {
            Console.Error.WriteLine($"latchkey: {CommandName} is internal: {CommandName} PARENT_PID -- COMMAND [ARGS...]");
            return ExitCodes.Usage;
        }

        if (OperatingSystem.IsLinux())
        {
            if (!NativeMethods.TryKillMeWithMyParent())
            {
                Console.Error.WriteLine($"latchkey: cannot tie the command to latchkey's life (prctl: errno {Marshal.GetLastPInvokeError()}); not running it.");
                return ExitCodes.Internal;
            }

            // latchkey may have died before prctl: then no signal will come, and we were given to another parent.
            if (NativeMethods.GetParentProcessId() != parent)
            {
                return ExitCodes.Lost;
            }
        }

        var command = args[3..];
        NativeMethods.ExecVP(command[0], [.. command, null]);
        var errno = Marshal.GetLastPInvokeError();
        Console.Error.WriteLine($"latchkey: cannot run '{command[0]}': {Marshal.GetPInvokeErrorMessage(errno)}");
        return errno == 2 ? ExitCodes.NotFound : ExitCodes.CannotExecute;
    }
}
