using Latchkey.Backend;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// The files one acquire works on, and one non-blocking try at them. A waiter keeps its descriptors
/// open between tries: a close is what wakes other waiters (<c>IN_CLOSE_WRITE</c>), so a failed try must
/// not close anything, or waiters would wake each other for ever.
/// </summary>
internal sealed class FileLockAttempt(FileLockState state, LockRequest request) : IDisposable
{
    private SafeFileHandle? _main;
    private SafeFileHandle? _gate;
    private SafeFileHandle?[]? _slots;
    private bool _holdsGate;

    /// <summary>One try; the lease, or <see langword="null"/> when the lock is taken. Never blocks on another holder.</summary>
    public FileLockAcquisition? TryOnce() => request.Kind switch
    {
        LockKind.Semaphore => TrySemaphore(),
        LockKind.ReaderWriter when request.Access == LockAccess.Shared => TryRead(),
        LockKind.ReaderWriter => TryWrite(),
        _ => TryExclusive(),
    };

    /// <summary>Lets go of anything held while not trying (the writers' gate); descriptors stay open.</summary>
    public void Suspend() => ReleaseGate();

    public void Dispose()
    {
        ReleaseGate();
        _main?.Dispose();
        if (_slots is not null)
        {
            foreach (var slot in _slots)
            {
                slot?.Dispose();
            }
        }
    }

    // Lock and election: the fence lives in the lock file itself, which we hold exclusively.
    private FileLockAcquisition? TryExclusive()
    {
        _main ??= state.Open(FileLockPaths.LockSuffix);
        if (!FileNative.TryLock(_main, FileNative.LockExclusive))
        {
            return null;
        }

        return Grant(ref _main, FileLockPaths.LockSuffix, fence: null);
    }

    private FileLockAcquisition? TrySemaphore()
    {
        _slots ??= new SafeFileHandle?[request.Permits];
        for (var i = 0; i < _slots.Length; i++)
        {
            var slot = _slots[i] ??= state.Open(FileLockPaths.SlotSuffix(i));
            if (FileNative.TryLock(slot, FileNative.LockExclusive))
            {
                return Grant(ref _slots[i], FileLockPaths.SlotSuffix(i), FileLockPaths.FenceSuffix);
            }
        }

        return null;
    }

    // Writer preference across processes: a writer takes the gate exclusively and keeps it while it waits
    // for the readers to drain, so no new reader passes the gate; it lets go of the gate once it writes.
    private FileLockAcquisition? TryWrite()
    {
        _gate ??= state.Open(FileLockPaths.GateSuffix);
        _main ??= state.Open(FileLockPaths.ReaderWriterSuffix);
        if (!_holdsGate)
        {
            if (!FileNative.TryLock(_gate, FileNative.LockExclusive))
            {
                return null;
            }

            _holdsGate = true;
        }

        if (!FileNative.TryLock(_main, FileNative.LockExclusive))
        {
            return null;
        }

        var lease = Grant(ref _main, FileLockPaths.ReaderWriterSuffix, FileLockPaths.FenceSuffix);
        ReleaseGate();
        return lease;
    }

    // A reader passes the gate (shared) only while no writer holds or waits at it.
    private FileLockAcquisition? TryRead()
    {
        _gate ??= state.Open(FileLockPaths.GateSuffix);
        _main ??= state.Open(FileLockPaths.ReaderWriterSuffix);
        if (!FileNative.TryLock(_gate, FileNative.LockShared))
        {
            return null;
        }

        try
        {
            return FileNative.TryLock(_main, FileNative.LockShared)
                ? Grant(ref _main, FileLockPaths.ReaderWriterSuffix, FileLockPaths.FenceSuffix)
                : null;
        }
        finally
        {
            FileNative.UnlockFile(_gate);
        }
    }

    private FileLockAcquisition Grant(ref SafeFileHandle? held, string suffix, string? fence)
    {
        var handle = held!;
        try
        {
            var token = fence is null ? FileFence.Next(handle, state.TimeProvider) : NextFromFenceFile(fence);
            var since = state.TimeProvider.GetUtcNow();
            var info = new FileHolderInfo(Environment.ProcessId, token, since, request.Value, request.Access);
            FileParticipantFile? record = null;
            if (request.Access == LockAccess.Exclusive)
            {
                info.Write(handle);
            }
            else
            {
                record = state.CreateParticipantFile(FileParticipantFile.ReaderPrefix, info); // Many readers share one file.
            }

            held = null; // The lease owns it now.
            return new FileLockAcquisition(state, handle, suffix, request.Access, token, since, request.Value, record);
        }
        catch
        {
            FileNative.UnlockFile(handle);
            throw;
        }
    }

    private long NextFromFenceFile(string suffix)
    {
        using var fence = state.Open(suffix);
        FileNative.LockBlocking(fence, FileNative.LockExclusive); // Held for microseconds; the close frees it.
        return FileFence.Next(fence, state.TimeProvider);
    }

    private void ReleaseGate()
    {
        if (_holdsGate && _gate is not null)
        {
            FileNative.UnlockFile(_gate);
            _holdsGate = false;
        }

        // Closing the gate wakes writers and readers that wait at it.
        _gate?.Dispose();
        _gate = null;
    }
}
