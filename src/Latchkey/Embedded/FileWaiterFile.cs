using Latchkey.Backend;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// Makes a waiter visible to every process's <see cref="FileLockBackend.GetStatusAsync"/>: a file
/// <c>&lt;base&gt;.wait-&lt;pid&gt;-&lt;n&gt;</c> beside the lock, exclusively flocked by the waiter and deleted when it
/// stops waiting. A waiter that dies leaves its file unlocked; status readers delete such files.
/// The file is prepared under a hidden temporary name and renamed into place, so it is never seen unlocked.
/// </summary>
internal sealed class FileWaiterFile : IDisposable
{
    public const string SuffixPrefix = "wait-";

    private static long s_counter;

    private readonly SafeFileHandle _handle;
    private readonly string _path;

    private FileWaiterFile(SafeFileHandle handle, string path)
    {
        _handle = handle;
        _path = path;
    }

    public static FileWaiterFile Create(string folder, string prefix, LockRequest request, DateTimeOffset since)
    {
        var path = $"{prefix}{SuffixPrefix}{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        var temporary = Path.Combine(folder, $".tmp-{Guid.NewGuid():N}");
        var handle = FileNative.OpenReadWrite(temporary);
        try
        {
            FileNative.TryLock(handle, FileNative.LockExclusive);
            new FileHolderInfo(Environment.ProcessId, 0, since, request.Value, request.Access).Write(handle, 0);
            File.Move(temporary, path); // rename(2): the waiter appears whole, and watchers see IN_MOVED_TO.
            return new FileWaiterFile(handle, path);
        }
        catch
        {
            File.Delete(temporary);
            handle.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Already removed by someone who took it for stale: nothing to clean.
        }

        _handle.Dispose();
    }
}
