namespace Latchkey.Embedded;

/// <summary>
/// Exclusion through <see cref="FileShare"/>, the one file lock that every platform .NET runs on offers: a handle
/// opened with <see cref="FileShare.None"/> keeps every other open of the file out, one opened with
/// <see cref="FileShare.Read"/> admits other readers only, and the OS closes the handles of a process that dies.
/// On Windows these are share modes; on Unix .NET takes an <c>flock</c> for them (<c>LOCK_EX</c> for
/// <see cref="FileShare.None"/>, <c>LOCK_SH</c> otherwise), which excludes in the same way.
/// </summary>
internal static class FileShareLock
{
    /// <summary>Opens <paramref name="path"/> (created if missing) for reading and writing, alone; <see langword="null"/> while another handle has it open.</summary>
    public static FileStream? TryOpenExclusive(string path, FileOptions options = FileOptions.None) =>
        TryOpen(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, options);

    /// <summary>Opens <paramref name="path"/> (created if missing) for reading beside other readers; <see langword="null"/> while a writer has it open.</summary>
    public static FileStream? TryOpenShared(string path) =>
        TryOpen(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read, FileOptions.None);

    /// <summary>Opens an existing file to read what another handle keeps writing; <see langword="null"/> if it is gone or locked alone.</summary>
    public static FileStream? TryOpenToRead(string path)
    {
        try
        {
            return TryOpen(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.None);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static FileStream? TryOpen(string path, FileMode mode, FileAccess access, FileShare share, FileOptions options)
    {
        try
        {
            return new FileStream(path, mode, access, share, bufferSize: 0, options);
        }
        catch (IOException ex) when (IsTaken(ex))
        {
            return null;
        }
    }

    // A sharing or lock violation: on Windows ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33) in the
    // HResult's low word; on Unix the HResult is flock's errno, EWOULDBLOCK (checked here on Linux: 0x0B; 35 on
    // macOS and the BSDs). Anything else (a read-only or full disk, say) is a real failure, not a holder.
    private static bool IsTaken(IOException ex) =>
        ex.GetType() == typeof(IOException)
        && (OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) is 32 or 33 : ex.HResult == (OperatingSystem.IsLinux() ? 11 : 35));
}
