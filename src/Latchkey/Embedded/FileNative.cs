using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// The few libc calls the file backend needs (Linux). We open files ourselves instead of through
/// <see cref="File.OpenHandle"/> because .NET takes its own <c>flock</c> on every handle it opens
/// (shared unless <see cref="FileShare.None"/>), which would fight the locks we take.
/// </summary>
internal static class FileNative
{
    public const int LockShared = 1;
    public const int LockExclusive = 2;
    public const int LockNonBlocking = 4;
    public const int Unlock = 8;

    public const uint InCloseWrite = 0x8;
    public const uint InModify = 0x2;
    public const uint InMovedFrom = 0x40;
    public const uint InMovedTo = 0x80;
    public const uint InDelete = 0x200;
    public const uint InIgnored = 0x8000;
    public const uint InQueueOverflow = 0x4000;

    private const int ReadOnly = 0;
    private const int ReadWrite = 2;
    private const int Create = 0x40;
    private const int NoFollow = 0x20000;
    private const int CloseOnExec = 0x80000;
    private const int EIntr = 4;
    private const int EWouldBlock = 11;

    /// <summary>Opens (creating if needed) a file for reading and writing, not inherited by child processes.</summary>
    /// <exception cref="IOException">The file cannot be opened; the message carries the OS error.</exception>
    public static SafeFileHandle OpenReadWrite(string path) => Open(path, ReadWrite | Create | NoFollow | CloseOnExec);

    /// <summary>Opens an existing file read-only, or returns <see langword="null"/> if it does not exist.</summary>
    public static SafeFileHandle? TryOpenReadOnly(string path)
    {
        var fd = OpenRaw(path, ReadOnly | NoFollow | CloseOnExec, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == 2 ? null : throw Error(errno, path);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Takes an flock without blocking; false when another open file holds a conflicting one.</summary>
    public static bool TryLock(SafeFileHandle handle, int operation)
    {
        while (true)
        {
            if (FLock(handle, operation | LockNonBlocking) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EWouldBlock)
            {
                return false;
            }

            if (errno != EIntr)
            {
                throw Error(errno, "flock");
            }
        }
    }

    /// <summary>Takes an flock, blocking the thread. Only for locks held for microseconds (the fence counter).</summary>
    public static void LockBlocking(SafeFileHandle handle, int operation)
    {
        while (FLock(handle, operation) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                throw Error(errno, "flock");
            }
        }
    }

    public static void UnlockFile(SafeFileHandle handle) => _ = FLock(handle, Unlock);

    public static int InotifyInit()
    {
        var fd = InotifyInit1(CloseOnExec);
        return fd >= 0 ? fd : throw Error(Marshal.GetLastPInvokeError(), "inotify_init1");
    }

    public static int InotifyAddWatch(int fd, string path, uint mask)
    {
        var wd = InotifyAddWatchRaw(fd, path, mask);
        return wd >= 0 ? wd : throw Error(Marshal.GetLastPInvokeError(), path);
    }

    public static void InotifyRemoveWatch(int fd, int wd) => _ = InotifyRmWatch(fd, wd);

    /// <summary>Reads inotify events; returns the byte count, or -1 when the descriptor is closed or failed.</summary>
    public static int ReadEvents(int fd, byte[] buffer)
    {
        while (true)
        {
            var n = Read(fd, buffer, buffer.Length);
            if (n >= 0)
            {
                return (int)n;
            }

            if (Marshal.GetLastPInvokeError() != EIntr)
            {
                return -1;
            }
        }
    }

    public static void CloseDescriptor(int fd) => _ = Close(fd);

    private static SafeFileHandle Open(string path, int flags)
    {
        while (true)
        {
            var fd = OpenRaw(path, flags, Convert.ToInt32("666", 8)); // Less the umask, as for any new file.
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                throw Error(errno, path);
            }
        }
    }

    private static IOException Error(int errno, string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenRaw([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int FLock(SafeFileHandle fd, int operation);

    [DllImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static extern int InotifyInit1(int flags);

    [DllImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true)]
    private static extern int InotifyAddWatchRaw(int fd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mask);

    [DllImport("libc", EntryPoint = "inotify_rm_watch", SetLastError = true)]
    private static extern int InotifyRmWatch(int fd, int wd);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
