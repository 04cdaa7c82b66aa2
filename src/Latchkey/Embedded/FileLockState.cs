using System.Globalization;
using Latchkey.Backend;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// One primitive as one provider sees it: its files, the provider's own waiters in FIFO order (only the
/// head contends for the OS lock, so a process adds one contender however many of its tasks wait),
/// and the signals that the watcher raises when the primitive's files change.
/// </summary>
internal sealed class FileLockState(FileLockBackend backend, LockKind kind, string name, string folder, string baseName) : IFileLockState
{
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromMilliseconds(32);

    private readonly string _prefix = Path.Combine(folder, baseName) + ".";
    private readonly LinkedList<Waiter> _queue = new();
    private readonly List<FileLockAcquisition> _held = [];
    private TaskCompletionSource? _released;
    private TaskCompletionSource? _changed;
    private int _waiting;

    public string Name => name;

    public TimeProvider TimeProvider => backend.TimeProvider;

    public SafeFileHandle Open(string suffix) => backend.OpenFile(_prefix + suffix);

    public ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var queued = Volatile.Read(ref _waiting) != 0;
        if (queued && !request.Wait)
        {
            return new ValueTask<LockAcquisition?>((LockAcquisition?)null); // Our queued waiters come first.
        }

        var attempt = new FileLockAttempt(this, request);
        try
        {
            // Fast path: no waiter of ours is queued, so one try before queueing is fair to them.
            if (!queued && attempt.TryOnce() is { } lease)
            {
                attempt.Dispose();
                return new ValueTask<LockAcquisition?>(Track(lease));
            }

            if (!request.Wait)
            {
                attempt.Dispose();
                return new ValueTask<LockAcquisition?>((LockAcquisition?)null);
            }
        }
        catch
        {
            attempt.Dispose();
            throw;
        }

        return WaitAsync(request, attempt, cancellationToken);
    }

    public LockStatus GetStatus()
    {
        var holders = new List<LockParticipant>();
        switch (kind)
        {
            case LockKind.Semaphore:
                foreach (var slot in SlotSuffixes())
                {
                    AddIfHeld(holders, ProbeExclusive(slot));
                }

                break;
            case LockKind.ReaderWriter:
                holders.AddRange(ProbeReaderWriter());
                break;
            default:
                AddIfHeld(holders, ProbeExclusive(FileLockPaths.LockSuffix));
                break;
        }

        var waiters = ListParticipants(FileParticipantFile.WaiterPrefix);
        return new LockStatus(kind, name, holders, waiters);
    }

    /// <summary>A task that completes at the next change the watcher or this provider sees.</summary>
    public Task NextChangeAsync()
    {
        lock (_queue)
        {
            return (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Called on the watcher thread for every event on one of our files. Must not throw.</summary>
    public void OnFileEvent(string suffix, uint mask)
    {
        if (suffix == FileLockPaths.FenceSuffix)
        {
            return;
        }

        if (suffix.StartsWith(FileParticipantFile.WaiterPrefix, StringComparison.Ordinal) || suffix.StartsWith(FileParticipantFile.ReaderPrefix, StringComparison.Ordinal))
        {
            Signal(ref _changed); // A waiter or reader came or went.
            return;
        }

        if ((mask & (FileNative.InDelete | FileNative.InMovedFrom)) != 0)
        {
            lock (_queue)
            {
                foreach (var lease in _held)
                {
                    if (lease.Suffix == suffix)
                    {
                        lease.MarkLost();
                    }
                }
            }
        }

        if ((mask & (FileNative.InCloseWrite | FileNative.InDelete | FileNative.InMovedFrom)) != 0)
        {
            Signal(ref _released);
        }

        Signal(ref _changed);
    }

    /// <summary>Wakes everyone to re-check (the kernel dropped events).</summary>
    public void OnOverflow()
    {
        Signal(ref _released);
        Signal(ref _changed);
    }

    public void OnLocalRelease()
    {
        // The watcher reports our own close too, but waking our head directly saves the round trip.
        Signal(ref _released);
        Signal(ref _changed);
    }

    public void Untrack(FileLockAcquisition lease)
    {
        lock (_queue)
        {
            _held.Remove(lease);
        }

        backend.Untrack(lease);
    }

    private async ValueTask<LockAcquisition?> WaitAsync(LockRequest request, FileLockAttempt attempt, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(request.Access, request.Value);
        LinkedListNode<Waiter> node;
        bool head;
        lock (_queue)
        {
            node = _queue.AddLast(waiter);
            _waiting++;
            head = node == _queue.First;
            if (head)
            {
                waiter.Head.TrySetResult();
            }
        }

        if (!head)
        {
            // Another of our acquires got ahead while we tried: a writer must not keep the gate it
            // took, or our own head could never pass it.
            attempt.Suspend();
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, backend.DisposedToken);
        FileParticipantFile? visible = null;
        try
        {
            linked.Token.ThrowIfCancellationRequested();
            visible = CreateParticipantFile(FileParticipantFile.WaiterPrefix, new FileHolderInfo(Environment.ProcessId, 0, TimeProvider.GetUtcNow(), request.Value, request.Access));
            await waiter.Head.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            var step = 0;
            while (true)
            {
                // Arm before trying, so a release between the try and the wait is not missed.
                var released = Arm(ref _released).Task;
                var lease = attempt.TryOnce();
                if (lease is not null)
                {
                    return Track(lease);
                }

                step = await WaitForReleaseAsync(released, step, linked.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            attempt.Dispose();
            visible?.Dispose();
            lock (_queue)
            {
                var wasHead = node == _queue.First;
                _queue.Remove(node);
                _waiting--;
                if (wasHead)
                {
                    _queue.First?.Value.Head.TrySetResult();
                }
            }

            Signal(ref _changed);
        }
    }

    /// <summary>
    /// Waits for a release event, or a back-off that starts at a yield and doubles from 1 ms to 32 ms: the
    /// fallback for what inotify cannot report (the kernel reports a dead holder's close a moment before it
    /// drops the lock; a status probe can make a try fail without a later event). Returns the next step.
    /// </summary>
    private async ValueTask<int> WaitForReleaseAsync(Task released, int step, CancellationToken cancellationToken)
    {
        if (step == 0)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            return 1;
        }

        var delay = TimeSpan.FromMilliseconds(Math.Min(1 << Math.Min(step - 1, 16), MaxBackOff.TotalMilliseconds));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, TimeProvider, stop.Token);
        var first = await Task.WhenAny(released, timer).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == released ? 0 : Math.Min(step + 1, 17);
    }

    /// <summary>Records a participant (a waiter, a reader) for every process's status.</summary>
    /// <exception cref="LockBackendUnavailableException">The record cannot be written.</exception>
    public FileParticipantFile CreateParticipantFile(string kindPrefix, FileHolderInfo info)
    {
        try
        {
            return FileParticipantFile.Create(folder, _prefix, kindPrefix, info);
        }
        catch (IOException ex)
        {
            throw new LockBackendUnavailableException($"Cannot record a participant of '{name}' in {folder}: {ex.Message}", ex);
        }
    }

    /// <summary>The waiters (or readers) of every process, oldest first; deletes the files of those that died.</summary>
    private List<LockParticipant> ListParticipants(string kindPrefix)
    {
        var waiters = new List<(LockParticipant Participant, string File)>();
        var start = Path.GetFileName(_prefix) + kindPrefix;
        foreach (var path in Directory.EnumerateFiles(folder, start + "*"))
        {
            var file = Path.GetFileName(path);
            if (file.AsSpan(start.Length).ContainsAny('.', '%'))
            {
                continue; // Another name's file that happens to start like ours.
            }

            using var handle = FileNative.TryOpenReadOnly(path);
            if (handle is null)
            {
                continue;
            }

            if (FileNative.TryLock(handle, FileNative.LockShared))
            {
                File.Delete(path); // Its waiter died: nobody holds it.
                continue;
            }

            var info = FileHolderInfo.Read(handle, 0);
            if (info is not null)
            {
                var id = $"pid-{info.ProcessId}/{file[(start.Length - kindPrefix.Length)..]}";
                waiters.Add((new LockParticipant(id, info.Access, info.Token == 0 ? null : info.Token, info.Value, info.Since), file));
            }
        }

        return waiters.OrderBy(w => w.Participant.Since).ThenBy(w => w.File, StringComparer.Ordinal).Select(w => w.Participant).ToList();
    }

    private FileLockAcquisition? Track(FileLockAcquisition? lease)
    {
        if (lease is null)
        {
            return null;
        }

        lock (_queue)
        {
            _held.Add(lease);
        }

        backend.Track(lease);
        return lease;
    }

    private TaskCompletionSource Arm(ref TaskCompletionSource? signal)
    {
        lock (_queue)
        {
            return signal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private void Signal(ref TaskCompletionSource? signal)
    {
        TaskCompletionSource? fired;
        lock (_queue)
        {
            fired = signal;
            signal = null;
        }

        fired?.TrySetResult();
    }

    private LockParticipant? ProbeExclusive(string suffix)
    {
        using var file = FileNative.TryOpenReadOnly(_prefix + suffix);
        if (file is null || FileNative.TryLock(file, FileNative.LockShared))
        {
            return null; // Nobody holds it; closing the probe drops our shared lock.
        }

        return Describe(FileHolderInfo.Read(file), LockAccess.Exclusive);
    }

    private List<LockParticipant> ProbeReaderWriter()
    {
        using var file = FileNative.TryOpenReadOnly(_prefix + FileLockPaths.ReaderWriterSuffix);
        if (file is null)
        {
            return [];
        }

        if (!FileNative.TryLock(file, FileNative.LockShared))
        {
            return [Describe(FileHolderInfo.Read(file), LockAccess.Exclusive)];
        }

        FileNative.UnlockFile(file);
        if (FileNative.TryLock(file, FileNative.LockExclusive))
        {
            return [];
        }

        // Readers hold it: each leaves a record of its own.
        var readers = ListParticipants(FileParticipantFile.ReaderPrefix);
        return readers.Count > 0 ? readers : [new LockParticipant("readers", LockAccess.Shared, null)];
    }

    private static LockParticipant Describe(FileHolderInfo? info, LockAccess access) => info is null
        ? new LockParticipant("unknown", access, null)
        : new LockParticipant($"pid-{info.ProcessId}", access, info.Token, info.Value, info.Since);

    private static void AddIfHeld(List<LockParticipant> holders, LockParticipant? participant)
    {
        if (participant is not null)
        {
            holders.Add(participant);
        }
    }

    private IEnumerable<string> SlotSuffixes()
    {
        var start = Path.GetFileName(_prefix) + FileLockPaths.SlotSuffixPrefix;
        var slots = new List<int>();
        foreach (var path in Directory.EnumerateFiles(folder, start + "*"))
        {
            var rest = Path.GetFileName(path.AsSpan())[start.Length..];
            if (int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var slot) && rest.Length > 0 && (rest[0] != '0' || rest.Length == 1))
            {
                slots.Add(slot);
            }
        }

        slots.Sort();
        return slots.Select(FileLockPaths.SlotSuffix);
    }

    private sealed class Waiter(LockAccess access, string? value)
    {
        public LockAccess Access { get; } = access;

        public string? Value { get; } = value;

        public TaskCompletionSource Head { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
