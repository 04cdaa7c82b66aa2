using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// Makes a waiter, or a reader of a reader-writer lock, visible to every process's
/// <see cref="Backend.LockBackend.GetStatusAsync"/>: a file <c>&lt;base&gt;.wait-&lt;pid&gt;-&lt;n&gt;</c> (or <c>read-</c>)
/// beside the lock, exclusively flocked by its owner and deleted when it stops waiting or reading. An
/// owner that dies leaves its file unlocked; status readers delete such files. The file is prepared
/// under a hidden temporary name and renamed into place, so it is never seen unlocked or empty.
/// </summary>
internal sealed class FileParticipantFile : IDisposable
{
    public const string WaiterPrefix = "wait-";
    public const string ReaderPrefix = "read-";

    private static long s_counter;

    private readonly SafeFileHandle _handle;
    private readonly string _path;

    private FileParticipantFile(SafeFileHandle handle, string path)
    {
        _handle = handle;
        _path = path;
    }

    public static FileParticipantFile Create(string folder, string prefix, string kind, FileHolderInfo info)
    {
        var path = $"{prefix}{kind}{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        var temporary = Path.Combine(folder, $".tmp-{Guid.NewGuid():N}");
        var handle = FileNative.OpenReadWrite(temporary);
        try
        {
            FileNative.TryLock(handle, FileNative.LockExclusive);
            info.Write(handle, 0);
            File.Move(temporary, path); // rename(2): the waiter appears whole, and watchers see IN_MOVED_TO.
            return new FileParticipantFile(handle, path);
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
