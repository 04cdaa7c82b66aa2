using System.Runtime.InteropServices;

namespace Latchkey.Cli;

/// <summary>The POSIX calls .NET does not wrap: a signal other than SIGKILL, and the exec shim's prctl and execvp.</summary>
internal static partial class NativeMethods
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    private const int PrSetPDeathSig = 1;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false if it failed (the process is gone).</summary>
    public static bool TrySignal(int pid, int signal) => !OperatingSystem.IsWindows() && Kill(pid, signal) == 0;

    /// <summary>Asks the kernel to SIGKILL this process when the thread that started it ends (Linux only).</summary>
    public static bool TryKillMeWithMyParent() => OperatingSystem.IsLinux() && Prctl(PrSetPDeathSig, SigKill, 0, 0, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "getppid")]
    public static partial int GetParentProcessId();

    /// <summary>Replaces this process with <paramref name="file"/> (searched in PATH); returns only on failure, with errno set.</summary>
    [LibraryImport("libc", EntryPoint = "execvp", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ExecVP(string file, [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPUTF8Str)] string?[] argv);
}
