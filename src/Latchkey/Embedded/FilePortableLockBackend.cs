using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Latchkey.Backend;
using Microsoft.Extensions.Logging;

namespace Latchkey.Embedded;

/// <summary>
/// The portable <c>file://DIR</c> backend, for where <c>flock</c> and inotify are missing (Windows, macOS) and, with
/// <c>?impl=portable</c>, anywhere: exclusion by <see cref="FileShare"/> modes (<see cref="FileShareLock"/>), which
/// the OS drops with the handles of a process that dies; wake-ups by one <see cref="FileSystemWatcher"/> per directory and process (<see cref="FilePortableWatcher"/>) on the
/// holder and waiter records, with a back-off of at most 50 ms as the fallback. Same folders and fencing counter
/// as the Linux backend; not fair and not herd-free.
/// </summary>
internal sealed class FilePortableLockBackend(string root, LockProviderOptions options) : LockBackend
{
    private static readonly LockProviderCapabilities PortableCapabilities = new()
    {
        Backend = "file",
        Fair = false, // Every waiter of every process retries; whoever tries first after a release wins.
        HerdFree = false, // A release wakes every waiter of the name, in every process.
        DurableFencingTokens = true,
        CrossMachine = false,
        CrossProcess = true,
        Leases = false,
    };

    private readonly ConcurrentDictionary<(LockKind Kind, string BaseName), FilePortableLockState> _states = new();
    private readonly ConcurrentDictionary<FilePortableLockAcquisition, byte> _held = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _startLock = new();
    private IDisposable? _watch;
    private volatile bool _started;

    public override LockProviderCapabilities Capabilities => PortableCapabilities;

    /// <summary>The absolute directory that holds the lock files.</summary>
    public string Root => root;

    internal TimeProvider TimeProvider => options.TimeProvider;

    internal CancellationToken DisposedToken => _disposed.Token;

    /// <exception cref="LockBackendUnavailableException">The directory cannot be created or written.</exception>
    public override ValueTask ConnectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnsureStarted();
        return default;
    }

    /// <exception cref="LockBackendUnavailableException">The directory cannot be created or written.</exception>
    public override ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        cancellationToken.ThrowIfCancellationRequested();
        EnsureStarted();
        return GetState(request.Kind, request.Name, request.EscapedName).AcquireAsync(request, cancellationToken);
    }

    public override ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        cancellationToken.ThrowIfCancellationRequested();
        EnsureStarted();
        return ValueTask.FromResult(GetState(kind, name, escapedName).GetStatus());
    }

    public override async IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        EnsureStarted();
        var state = GetState(kind, name, escapedName);
        while (true)
        {
            var changed = state.NextChangeAsync();
            yield return state.GetStatus();
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        foreach (var lease in _held.Keys)
        {
            lease.Unlock();
        }

        lock (_startLock)
        {
            _watch?.Dispose();
            _watch = null;
        }
    }

    /// <summary>One try at opening a primitive's file, alone or shared; <see langword="null"/> while others keep it.</summary>
    /// <exception cref="LockBackendUnavailableException">The file cannot be opened for another reason.</exception>
    internal FileStream? TryOpen(string path, bool exclusive)
    {
        try
        {
            return exclusive ? FileShareLock.TryOpenExclusive(path) : FileShareLock.TryOpenShared(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LockBackendUnavailableException($"Cannot open lock file '{path}' of file://{root}: {ex.Message}", ex);
        }
    }

    internal void Track(FilePortableLockAcquisition lease)
    {
        _held.TryAdd(lease, 0);
        if (_disposed.IsCancellationRequested)
        {
            lease.Unlock(); // Disposal may have swept the held leases before this one was added.
            ObjectDisposedException.ThrowIf(true, this);
        }
    }

    internal void Untrack(FilePortableLockAcquisition lease) => _held.TryRemove(lease, out _);

    private FilePortableLockState GetState(LockKind kind, string name, string escapedName)
    {
        var baseName = FileLockPaths.BaseName(escapedName);
        return _states.GetOrAdd((kind, baseName), static (key, arg) =>
            new FilePortableLockState(arg.Backend, key.Kind, arg.Name, Path.Combine(arg.Backend.Root, FileLockPaths.KindFolder(key.Kind), key.BaseName) + "."), (Backend: this, Name: name));
    }

    /// <summary>Called on the watcher's thread for a file that appeared, changed or went. Must not throw.</summary>
    internal void OnFileEvent(string path, bool removed)
    {
        var folder = Path.GetFileName(Path.GetDirectoryName(path));
        var fileName = Path.GetFileName(path);
        var dot = fileName.LastIndexOf('.');
        if (dot <= 0 || folder is null)
        {
            return;
        }

        foreach (var kind in FileLockPaths.Kinds)
        {
            if (FileLockPaths.KindFolder(kind) == folder && _states.TryGetValue((kind, fileName[..dot]), out var state))
            {
                state.OnFileEvent(fileName[(dot + 1)..], removed);
            }
        }
    }

    /// <summary>The watcher lost events: everyone re-checks.</summary>
    internal void OnOverflow()
    {
        foreach (var state in _states.Values)
        {
            state.OnLocalRelease();
        }
    }

    private void EnsureStarted()
    {
        if (_started)
        {
            return;
        }

        lock (_startLock)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            if (_started)
            {
                return;
            }

            CreateFolders(FileLockPaths.Kinds.Select(k => Path.Combine(root, FileLockPaths.KindFolder(k))).ToList());
            try
            {
                _watch = FilePortableWatcher.Subscribe(root, this);
            }
            catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or ArgumentException)
            {
                options.LoggerFactory.CreateLogger<FilePortableLockBackend>().LogWarning(ex, "No file system watcher for file://{Root}: waiters fall back to a back-off of up to 50 ms.", root);
            }

            _started = true;
        }
    }

    /// <summary>
    /// Creates the root and the kind folders, then checks that a file can be created in each. On failure removes
    /// the folders it created, so a bad directory leaves nothing behind.
    /// </summary>
    private void CreateFolders(List<string> folders)
    {
        var created = new List<string>();
        try
        {
            for (var missing = root; missing is not null && !Directory.Exists(missing); missing = Path.GetDirectoryName(missing))
            {
                created.Add(missing);
            }

            created.Reverse(); // Outermost first.
            created.AddRange(folders.Where(f => !Directory.Exists(f)));
            Directory.CreateDirectory(root);
            foreach (var folder in folders)
            {
                Directory.CreateDirectory(folder);
                var probe = Path.Combine(folder, $".probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
                new FileStream(probe, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.DeleteOnClose).Dispose();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            for (var i = created.Count - 1; i >= 0; i--)
            {
                try
                {
                    Directory.Delete(created[i]);
                }
                catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
                {
                    // Not created by us after all, or not empty: leave it.
                }
            }

            throw new LockBackendUnavailableException($"file://{root} cannot be used as a lock directory: {ex.Message}", ex);
        }
    }
}
