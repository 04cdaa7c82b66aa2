using System.Buffers.Binary;
using System.Text;

namespace Latchkey.Embedded;

/// <summary>
/// One inotify descriptor and one thread for the whole process, shared by every <c>file://</c>
/// provider (the kernel allows a user only 128 inotify instances, 128 providers would exhaust them).
/// A release closes the holder's lock file (<c>IN_CLOSE_WRITE</c>), and so does the kernel when a
/// holder process dies, so waiters wake for both without polling. .NET's <see cref="FileSystemWatcher"/>
/// does not report close events, hence our own.
/// </summary>
internal sealed class FileLockWatcher
{
    private const uint Mask = FileNative.InCloseWrite | FileNative.InModify | FileNative.InDelete | FileNative.InMovedFrom | FileNative.InMovedTo;

    private static readonly Lazy<FileLockWatcher?> SharedWatcher = new(Create);

    private readonly int _fd;
    private readonly Lock _lock = new();
    private Dictionary<int, Subscription[]> _byWatch = [];

    private FileLockWatcher(int fd) => _fd = fd;

    /// <summary>Why the shared watcher could not start, when it could not.</summary>
    public static Exception? StartError { get; private set; }

    /// <summary>The process's watcher, or <see langword="null"/> if inotify is unavailable (waiters then rely on the back-off).</summary>
    public static FileLockWatcher? Shared => SharedWatcher.Value;

    /// <summary>Starts delivering events on <paramref name="folder"/> to <paramref name="target"/>.</summary>
    /// <exception cref="IOException">The folder cannot be watched.</exception>
    public Subscription Subscribe(string folder, LockKind kind, FileLockBackend target)
    {
        lock (_lock)
        {
            var wd = FileNative.InotifyAddWatch(_fd, folder, Mask); // The same folder gives the same wd.
            var subscription = new Subscription(this, wd, kind, target);
            var current = _byWatch.GetValueOrDefault(wd) ?? [];
            _byWatch = new Dictionary<int, Subscription[]>(_byWatch) { [wd] = [.. current, subscription] };
            return subscription;
        }
    }

    private static FileLockWatcher? Create()
    {
        try
        {
            var watcher = new FileLockWatcher(FileNative.InotifyInit());
            new Thread(watcher.Run) { IsBackground = true, Name = "Latchkey file watcher" }.Start();
            return watcher;
        }
        catch (IOException ex)
        {
            StartError = ex;
            return null;
        }
    }

    private void Unsubscribe(Subscription subscription)
    {
        lock (_lock)
        {
            if (!_byWatch.TryGetValue(subscription.Watch, out var current))
            {
                return;
            }

            var remaining = current.Where(s => s != subscription).ToArray();
            var next = new Dictionary<int, Subscription[]>(_byWatch);
            if (remaining.Length == 0)
            {
                next.Remove(subscription.Watch);
                FileNative.InotifyRemoveWatch(_fd, subscription.Watch);
            }
            else
            {
                next[subscription.Watch] = remaining;
            }

            _byWatch = next;
        }
    }

    private void Run()
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = FileNative.ReadEvents(_fd, buffer);
            if (n <= 0)
            {
                StartError = new IOException("Reading inotify events failed; file:// waiters fall back to back-off.");
                return;
            }

            var byWatch = Volatile.Read(ref _byWatch);
            for (var offset = 0; offset + 16 <= n;)
            {
                var wd = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset));
                var mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 4));
                var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset + 12));
                var name = buffer.AsSpan(offset + 16, length);
                offset += 16 + length;
                if ((mask & FileNative.InQueueOverflow) != 0)
                {
                    foreach (var subscription in byWatch.Values.SelectMany(s => s))
                    {
                        subscription.Target.OnOverflow();
                    }

                    continue;
                }

                var end = name.IndexOf((byte)0);
                name = end >= 0 ? name[..end] : name;
                if (name.IsEmpty || !byWatch.TryGetValue(wd, out var subscriptions))
                {
                    continue;
                }

                var fileName = Encoding.UTF8.GetString(name);
                foreach (var subscription in subscriptions)
                {
                    subscription.Target.OnFileEvent(subscription.Kind, fileName, mask);
                }
            }
        }
    }

    /// <summary>One backend's interest in one folder; dispose to stop it.</summary>
    internal sealed class Subscription(FileLockWatcher owner, int watch, LockKind kind, FileLockBackend target) : IDisposable
    {
        public int Watch => watch;

        public LockKind Kind => kind;

        public FileLockBackend Target => target;

        public void Dispose() => owner.Unsubscribe(this);
    }
}
