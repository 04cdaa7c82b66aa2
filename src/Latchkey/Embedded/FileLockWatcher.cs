using System.Buffers.Binary;
using System.Text;

namespace Latchkey.Embedded;

/// <summary>
/// One inotify descriptor and one thread per provider, watching the kind folders. A release closes
/// the holder's lock file (<c>IN_CLOSE_WRITE</c>), and so does the kernel when a holder process dies,
/// so waiters wake for both without polling. .NET's <see cref="FileSystemWatcher"/> does not report
/// close events, hence our own.
/// </summary>
internal sealed class FileLockWatcher : IDisposable
{
    private const uint Mask = FileNative.InCloseWrite | FileNative.InModify | FileNative.InDelete | FileNative.InMovedFrom | FileNative.InMovedTo;

    private readonly int _fd;
    private readonly Dictionary<int, LockKind> _watches = [];
    private readonly Action<LockKind, string, uint> _onEvent;
    private readonly Thread _thread;
    private volatile bool _disposed;

    public FileLockWatcher(IReadOnlyList<(LockKind Kind, string Folder)> folders, Action<LockKind, string, uint> onEvent)
    {
        _onEvent = onEvent;
        _fd = FileNative.InotifyInit();
        try
        {
            foreach (var (kind, folder) in folders)
            {
                _watches[FileNative.InotifyAddWatch(_fd, folder, Mask)] = kind;
            }
        }
        catch
        {
            FileNative.CloseDescriptor(_fd);
            throw;
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "Latchkey file watcher" };
        _thread.Start();
    }

    /// <summary>Raised when the kernel dropped events (queue overflow): everyone should re-check.</summary>
    public event Action? Overflowed;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Removing the watches queues IN_IGNORED events, which ends the blocking read; the thread closes the descriptor.
        foreach (var wd in _watches.Keys)
        {
            FileNative.InotifyRemoveWatch(_fd, wd);
        }
    }

    private void Run()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (!_disposed)
            {
                var n = FileNative.ReadEvents(_fd, buffer);
                if (n <= 0)
                {
                    break;
                }

                for (var offset = 0; offset + 16 <= n;)
                {
                    var wd = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset));
                    var mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 4));
                    var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset + 12));
                    var name = buffer.AsSpan(offset + 16, length);
                    offset += 16 + length;
                    if ((mask & FileNative.InQueueOverflow) != 0)
                    {
                        Overflowed?.Invoke();
                        continue;
                    }

                    var end = name.IndexOf((byte)0);
                    if (end >= 0)
                    {
                        name = name[..end];
                    }

                    if (_disposed || name.IsEmpty || !_watches.TryGetValue(wd, out var kind))
                    {
                        continue;
                    }

                    _onEvent(kind, Encoding.UTF8.GetString(name), mask);
                }
            }
        }
        finally
        {
            FileNative.CloseDescriptor(_fd);
        }
    }
}
