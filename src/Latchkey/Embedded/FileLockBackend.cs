using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Latchkey.Backend;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// The <c>file://DIR</c> backend: many processes on one machine. A primitive is a set of files under
/// <c>DIR/&lt;kind&gt;/</c>; exclusion is the kernel's <c>flock</c>, which the kernel drops when the holder
/// dies, so a crashed holder never leaves a lock behind. Waiters queue FIFO inside the provider and the
/// head waits for an inotify event (a release closes the lock file), with a capped back-off as fallback.
/// </summary>
internal sealed class FileLockBackend(string root, LockProviderOptions options) : LockBackend
{
    private static readonly LockProviderCapabilities FileCapabilities = new()
    {
        Backend = "file",
        Fair = false, // FIFO inside one provider; between processes, whoever's try comes first.
        HerdFree = false, // A release wakes the head waiter of every provider that waits for the lock.
        DurableFencingTokens = true,
        CrossMachine = false,
        CrossProcess = true,
        Leases = false,
    };

    private readonly ConcurrentDictionary<(LockKind Kind, string BaseName), FileLockState> _states = new();
    private readonly ConcurrentDictionary<FileLockAcquisition, byte> _held = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _startLock = new();
    private readonly List<FileLockWatcher.Subscription> _subscriptions = [];
    private volatile bool _started;

    public override LockProviderCapabilities Capabilities => FileCapabilities;

    /// <summary>The absolute directory that holds the lock files.</summary>
    public string Root => root;

    internal TimeProvider TimeProvider => options.TimeProvider;

    internal CancellationToken DisposedToken => _disposed.Token;

    /// <summary>Creates the directory (and its kind folders) and starts watching it.</summary>
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
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }

            _subscriptions.Clear();
        }
    }

    internal SafeFileHandle OpenFile(string path)
    {
        try
        {
            return FileNative.OpenReadWrite(path);
        }
        catch (IOException ex)
        {
            throw new LockBackendUnavailableException($"Cannot open lock file '{path}' of file://{root}: {ex.Message}", ex);
        }
    }

    internal void Track(FileLockAcquisition lease)
    {
        _held.TryAdd(lease, 0);
        if (_disposed.IsCancellationRequested)
        {
            // Disposal may have swept the held leases before this one was added.
            lease.Unlock();
            ObjectDisposedException.ThrowIf(true, this);
        }
    }

    internal void Untrack(FileLockAcquisition lease) => _held.TryRemove(lease, out _);

    private FileLockState GetState(LockKind kind, string name, string escapedName)
    {
        var baseName = FileLockPaths.BaseName(escapedName);
        return _states.GetOrAdd((kind, baseName), static (key, arg) =>
            new FileLockState(arg.Backend, key.Kind, arg.Name, Path.Combine(arg.Backend.Root, FileLockPaths.KindFolder(key.Kind)), key.BaseName), (Backend: this, Name: name));
    }

    /// <summary>Called on the watcher thread for an event in one of our folders. Must not throw.</summary>
    internal void OnFileEvent(LockKind kind, string fileName, uint mask)
    {
        var dot = fileName.LastIndexOf('.');
        if (dot > 0 && _states.TryGetValue((kind, fileName[..dot]), out var state))
        {
            state.OnFileEvent(fileName[(dot + 1)..], mask);
        }
    }

    /// <summary>The kernel dropped events: everyone re-checks.</summary>
    internal void OnOverflow()
    {
        foreach (var state in _states.Values)
        {
            state.OnOverflow();
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

            var folders = FileLockPaths.Kinds.Select(k => (k, Path.Combine(root, FileLockPaths.KindFolder(k)))).ToList();
            CreateFolders(folders.Select(f => f.Item2));
            var watcher = FileLockWatcher.Shared;
            if (watcher is null)
            {
                options.LoggerFactory.CreateLogger<FileLockBackend>().LogWarning(FileLockWatcher.StartError, "No inotify for file://{Root}: waiters fall back to a back-off of up to 32 ms.", root);
            }
            else
            {
                try
                {
                    foreach (var (kind, folder) in folders)
                    {
                        _subscriptions.Add(watcher.Subscribe(folder, kind, this));
                    }
                }
                catch (IOException ex)
                {
                    foreach (var subscription in _subscriptions)
                    {
                        subscription.Dispose();
                    }

                    _subscriptions.Clear();
                    throw new LockBackendUnavailableException($"Cannot watch file://{root}: {ex.Message}", ex);
                }
            }

            _started = true;
        }
    }

    /// <summary>
    /// Creates the root and the kind folders, then checks that a file can be created in each. On failure
    /// removes the folders it created, so a bad directory leaves nothing behind.
    /// </summary>
    private void CreateFolders(IEnumerable<string> folders)
    {
        var created = new List<string>();
        try
        {
            for (var missing = root; missing is not null && !Directory.Exists(missing); missing = Path.GetDirectoryName(missing))
            {
                created.Add(missing);
            }

            created.Reverse(); // Outermost first.
            foreach (var folder in folders)
            {
                if (!Directory.Exists(folder))
                {
                    created.Add(folder);
                }
            }

            Directory.CreateDirectory(root);
            foreach (var folder in folders)
            {
                Directory.CreateDirectory(folder);
                var probe = Path.Combine(folder, $".probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
                FileNative.OpenReadWrite(probe).Dispose();
                File.Delete(probe);
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
