using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Latchkey.Backend;

namespace Latchkey.Embedded;

/// <summary>One primitive's state in a file:// backend, as the backend's shell drives it.</summary>
internal interface IFileLockState
{
    ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken);

    LockStatus GetStatus();

    /// <summary>A task that completes at the next change the state sees.</summary>
    Task NextChangeAsync();
}

/// <summary>A held file:// acquisition, as the backend's shell releases it on disposal.</summary>
internal interface IFileHeld
{
    /// <summary>Drops the lock at once (closes its file), without waiting.</summary>
    void Unlock();
}

/// <summary>
/// What both file:// implementations share (the Linux one on <c>flock</c> and inotify, the portable one on
/// share modes): the directory and its kind folders, made and probed on first use; one state per primitive;
/// the held acquisitions, unlocked when the provider is disposed. Each implementation says how it watches the
/// folders and how a state is made.
/// </summary>
internal abstract class FileBackendBase<TState, THeld>(string root, LockProviderOptions options) : LockBackend
    where TState : class, IFileLockState
    where THeld : class, IFileHeld
{
    private readonly ConcurrentDictionary<(LockKind Kind, string BaseName), TState> _states = new();
    private readonly ConcurrentDictionary<THeld, byte> _held = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _startLock = new();
    private volatile bool _started;

    /// <summary>The absolute directory that holds the lock files.</summary>
    public string Root => root;

    internal TimeProvider TimeProvider => options.TimeProvider;

    internal CancellationToken DisposedToken => _disposed.Token;

    protected LockProviderOptions Options => options;

    protected ICollection<TState> States => _states.Values;

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
            StopWatching();
        }
    }

    internal void Track(THeld lease)
    {
        _held.TryAdd(lease, 0);
        if (_disposed.IsCancellationRequested)
        {
            lease.Unlock(); // Disposal may have swept the held leases before this one was added.
            ObjectDisposedException.ThrowIf(true, this);
        }
    }

    internal void Untrack(THeld lease) => _held.TryRemove(lease, out _);

    protected bool TryGetState(LockKind kind, string baseName, out TState state) => _states.TryGetValue((kind, baseName), out state!);

    /// <summary>Makes the state of a primitive whose files are named <paramref name="baseName"/> in <paramref name="kind"/>'s folder.</summary>
    protected abstract TState CreateState(LockKind kind, string name, string baseName);

    /// <summary>Starts watching the kind folders, once they exist (called under the start lock).</summary>
    /// <exception cref="LockBackendUnavailableException">The folders cannot be watched.</exception>
    protected abstract void StartWatching(IReadOnlyList<(LockKind Kind, string Folder)> folders);

    /// <summary>Stops watching (called under the start lock, at disposal).</summary>
    protected abstract void StopWatching();

    /// <summary>Creates and removes a file at <paramref name="path"/> the way locks will open theirs: proves the folder usable.</summary>
    protected abstract void Probe(string path);

    private TState GetState(LockKind kind, string name, string escapedName) =>
        _states.GetOrAdd((kind, FileLockPaths.BaseName(escapedName)), static (key, arg) => arg.Backend.CreateState(key.Kind, arg.Name, key.BaseName), (Backend: this, Name: name));

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
            CreateFolders(folders.Select(f => f.Item2).ToList());
            StartWatching(folders);
            _started = true;
        }
    }

    /// <summary>
    /// Creates the root and the kind folders, then checks that a file can be created in each. On failure
    /// removes the folders it created, so a bad directory leaves nothing behind.
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
                Probe(Path.Combine(folder, $".probe-{Environment.ProcessId}-{Guid.NewGuid():N}"));
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
