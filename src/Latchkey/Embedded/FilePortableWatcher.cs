namespace Latchkey.Embedded;

/// <summary>
/// One <see cref="FileSystemWatcher"/> per lock directory for the whole process, shared by every portable
/// <c>file://</c> provider of that directory: on Linux each watcher is an inotify instance, of which a user may
/// have only 128.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Disposed by its last subscription's Dispose.")]
internal sealed class FilePortableWatcher
{
    private static readonly Dictionary<string, FilePortableWatcher> ByRoot = new(StringComparer.Ordinal);

    private readonly string _root;
    private readonly FileSystemWatcher _watcher;
    private volatile FilePortableLockBackend[] _targets = [];

    private FilePortableWatcher(string root)
    {
        _root = root;
        _watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Created += (_, e) => Dispatch(e.FullPath, removed: false);
        _watcher.Changed += (_, e) => Dispatch(e.FullPath, removed: false);
        _watcher.Deleted += (_, e) => Dispatch(e.FullPath, removed: true);
        _watcher.Renamed += (_, e) =>
        {
            Dispatch(e.OldFullPath, removed: true);
            Dispatch(e.FullPath, removed: false);
        };
        _watcher.Error += (_, _) =>
        {
            foreach (var target in _targets)
            {
                target.OnOverflow();
            }
        };
    }

    /// <summary>Delivers the events under <paramref name="root"/> to <paramref name="target"/> until disposed.</summary>
    /// <exception cref="IOException">No watcher can be started (on Linux: no inotify instance left).</exception>
    public static IDisposable Subscribe(string root, FilePortableLockBackend target)
    {
        lock (ByRoot)
        {
            if (!ByRoot.TryGetValue(root, out var watcher))
            {
                watcher = new FilePortableWatcher(root);
                try
                {
                    watcher._watcher.EnableRaisingEvents = true;
                }
                catch
                {
                    watcher._watcher.Dispose();
                    throw;
                }

                ByRoot.Add(root, watcher);
            }

            watcher._targets = [.. watcher._targets, target];
            return new Subscription(watcher, target);
        }
    }

    private void Dispatch(string path, bool removed)
    {
        foreach (var target in _targets)
        {
            target.OnFileEvent(path, removed);
        }
    }

    private void Unsubscribe(FilePortableLockBackend target)
    {
        lock (ByRoot)
        {
            _targets = [.. _targets.Where(t => t != target)];
            if (_targets.Length == 0)
            {
                ByRoot.Remove(_root);
                _watcher.Dispose();
            }
        }
    }

    private sealed class Subscription(FilePortableWatcher watcher, FilePortableLockBackend target) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                watcher.Unsubscribe(target);
            }
        }
    }
}
