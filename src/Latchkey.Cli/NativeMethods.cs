using System.Runtime.InteropServices;

namespace Latchkey.Cli;

/// <summary>The one POSIX call .NET does not wrap: sending a child a signal other than SIGKILL.</summary>
internal static partial class NativeMethods
{
    public const int SigTerm = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false if it failed (the process is gone).</summary>
    public static bool TrySignal(int pid, int signal) => !OperatingSystem.IsWindows() && Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
