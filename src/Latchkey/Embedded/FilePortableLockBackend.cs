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
internal sealed class FilePortableLockBackend(string root, LockProviderOptions options) : FileBackendBase<FilePortableLockState, FilePortableLockAcquisition>(root, options)
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

    private IDisposable? _watch;

    public override LockProviderCapabilities Capabilities => PortableCapabilities;

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
            throw new LockBackendUnavailableException($"Cannot open lock file '{path}' of file://{Root}: {ex.Message}", ex);
        }
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
            if (FileLockPaths.KindFolder(kind) == folder && TryGetState(kind, fileName[..dot], out var state))
            {
                state.OnFileEvent(fileName[(dot + 1)..], removed);
            }
        }
    }

    /// <summary>The watcher lost events: everyone re-checks.</summary>
    internal void OnOverflow()
    {
        foreach (var state in States)
        {
            state.OnLocalRelease();
        }
    }

    protected override FilePortableLockState CreateState(LockKind kind, string name, string baseName) =>
        new(this, kind, name, Path.Combine(Root, FileLockPaths.KindFolder(kind), baseName) + ".");

    protected override void StartWatching(IReadOnlyList<(LockKind Kind, string Folder)> folders)
    {
        try
        {
            _watch = FilePortableWatcher.Subscribe(Root, this);
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or ArgumentException)
        {
            Options.LoggerFactory.CreateLogger<FilePortableLockBackend>().LogWarning(ex, "No file system watcher for file://{Root}: waiters fall back to a back-off of up to 50 ms.", Root);
        }
    }

    protected override void StopWatching()
    {
        _watch?.Dispose();
        _watch = null;
    }

    protected override void Probe(string path) =>
        new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.DeleteOnClose).Dispose();
}
