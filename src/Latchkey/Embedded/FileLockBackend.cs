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
internal sealed class FileLockBackend(string root, LockProviderOptions options) : FileBackendBase<FileLockState, FileLockAcquisition>(root, options)
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

    private readonly List<FileLockWatcher.Subscription> _subscriptions = [];

    public override LockProviderCapabilities Capabilities => FileCapabilities;

    internal SafeFileHandle OpenFile(string path)
    {
        try
        {
            return FileNative.OpenReadWrite(path);
        }
        catch (IOException ex)
        {
            throw new LockBackendUnavailableException($"Cannot open lock file '{path}' of file://{Root}: {ex.Message}", ex);
        }
    }

    /// <summary>Called on the watcher thread for an event in one of our folders. Must not throw.</summary>
    internal void OnFileEvent(LockKind kind, string fileName, uint mask)
    {
        var dot = fileName.LastIndexOf('.');
        if (dot > 0 && TryGetState(kind, fileName[..dot], out var state))
        {
            state.OnFileEvent(fileName[(dot + 1)..], mask);
        }
    }

    /// <summary>The kernel dropped events: everyone re-checks.</summary>
    internal void OnOverflow()
    {
        foreach (var state in States)
        {
            state.OnOverflow();
        }
    }

    protected override FileLockState CreateState(LockKind kind, string name, string baseName) =>
        new(this, kind, name, Path.Combine(Root, FileLockPaths.KindFolder(kind)), baseName);

    protected override void StartWatching(IReadOnlyList<(LockKind Kind, string Folder)> folders)
    {
        var watcher = FileLockWatcher.Shared;
        if (watcher is null)
        {
            Options.LoggerFactory.CreateLogger<FileLockBackend>().LogWarning(FileLockWatcher.StartError, "No inotify for file://{Root}: waiters fall back to a back-off of up to 32 ms.", Root);
            return;
        }

        try
        {
            foreach (var (kind, folder) in folders)
            {
                _subscriptions.Add(watcher.Subscribe(folder, kind, this));
            }
        }
        catch (IOException ex)
        {
            StopWatching();
            throw new LockBackendUnavailableException($"Cannot watch file://{Root}: {ex.Message}", ex);
        }
    }

    protected override void StopWatching()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        _subscriptions.Clear();
    }

    protected override void Probe(string path)
    {
        FileNative.OpenReadWrite(path).Dispose();
        File.Delete(path);
    }
}
