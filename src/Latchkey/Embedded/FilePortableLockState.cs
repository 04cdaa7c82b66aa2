using System.Globalization;
using Latchkey.Backend;

namespace Latchkey.Embedded;

/// <summary>
/// One primitive of the portable <c>file://</c> as one provider sees it. A try opens the primitive's file with a
/// share mode that keeps the others out (<see cref="FileShareLock"/>); a waiter tries again when a record file of
/// the primitive comes or goes (a <see cref="FileSystemWatcher"/> event, or a release in this provider), and
/// otherwise on a back-off of 1, 2, 4 … 50 ms, which also catches a holder that died (its handles close without
/// an event). Every waiter of every process retries, whoever tries first wins: neither fair nor herd-free.
/// </summary>
/// <remarks>
/// Files, beside the Linux layout's names: <c>.lock</c> (lock, election; fence in its first KiB), <c>.slotN</c>
/// (semaphore), <c>.gate</c> and <c>.rw</c> (reader-writer, writer preference: a waiting writer keeps the gate),
/// <c>.fence</c> (semaphore and reader-writer), and the <c>held-</c>/<c>wait-</c> records (<see cref="FilePortableRecord"/>).
/// </remarks>
internal sealed class FilePortableLockState(FilePortableLockBackend backend, LockKind kind, string name, string prefixPath) : IFileLockState
{
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromMilliseconds(50);

    private readonly List<FilePortableLockAcquisition> _held = [];
    private TaskCompletionSource? _changed;

    public string Name => name;

    public FilePortableLockBackend Backend => backend;

    /// <summary><c>DIR/&lt;kind&gt;/&lt;base&gt;.</c>: a suffix makes a file of this primitive.</summary>
    public string PrefixPath => prefixPath;

    public async ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        using var attempt = new Attempt(this, request);
        if (await attempt.TryOnceAsync(cancellationToken).ConfigureAwait(false) is { } lease)
        {
            return lease;
        }

        if (!request.Wait)
        {
            return null;
        }

        using var waiting = CreateRecord(FilePortableRecord.WaiterPrefix, Info(request, token: 0, request.Access));
        var backOff = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            var changed = NextChangeAsync();
            if (await attempt.TryOnceAsync(cancellationToken).ConfigureAwait(false) is { } acquired)
            {
                return acquired;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, backend.DisposedToken);
            var delay = Task.Delay(backOff, backend.TimeProvider, wait.Token);
            var woken = await Task.WhenAny(changed, delay).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(backend.DisposedToken.IsCancellationRequested, backend);
            backOff = woken == changed ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, MaxBackOff.Ticks));
        }
    }

    public LockStatus GetStatus()
    {
        var holders = FilePortableRecord.List(prefixPath, FilePortableRecord.HolderPrefix).Select(Participant).ToList();
        var waiters = FilePortableRecord.List(prefixPath, FilePortableRecord.WaiterPrefix).Select(Participant).ToList();
        return new LockStatus(kind, name, holders, waiters);
    }

    /// <summary>A task that completes at the next change the watcher or this provider sees.</summary>
    public Task NextChangeAsync()
    {
        lock (_held)
        {
            return (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>A file of this primitive changed (watcher thread). Must not throw.</summary>
    public void OnFileEvent(string suffix, bool removed)
    {
        if (suffix == FileLockPaths.FenceSuffix)
        {
            return;
        }

        if (removed)
        {
            lock (_held)
            {
                foreach (var lease in _held.Where(l => l.Suffix == suffix))
                {
                    lease.MarkLost();
                }
            }
        }

        Signal();
    }

    public void OnLocalRelease() => Signal();

    public void Untrack(FilePortableLockAcquisition lease)
    {
        lock (_held)
        {
            _held.Remove(lease);
        }

        backend.Untrack(lease);
    }

    private FilePortableLockAcquisition Track(FilePortableLockAcquisition lease)
    {
        lock (_held)
        {
            _held.Add(lease);
        }

        backend.Track(lease);
        return lease;
    }

    private void Signal()
    {
        TaskCompletionSource? changed;
        lock (_held)
        {
            changed = _changed;
            _changed = null;
        }

        changed?.TrySetResult();
    }

    /// <exception cref="LockBackendUnavailableException">The record cannot be written (the directory is gone, say).</exception>
    private FilePortableRecord CreateRecord(string recordKind, FileHolderInfo info)
    {
        try
        {
            return FilePortableRecord.Create(prefixPath, recordKind, info);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LockBackendUnavailableException($"Cannot write a record of '{name}' under file://{backend.Root}: {ex.Message}", ex);
        }
    }

    private static FileHolderInfo Info(LockRequest request, long token, LockAccess access) =>
        new(Environment.ProcessId, token, DateTimeOffset.UtcNow, request.Value, access);

    private static LockParticipant Participant(FileHolderInfo info) =>
        new("pid-" + info.ProcessId.ToString(CultureInfo.InvariantCulture), info.Access, info.Token == 0 ? null : info.Token, info.Value, info.Token == 0 ? null : info.Since);

    /// <summary>The files one acquire works on, and one try at them. A waiting writer keeps the gate between tries.</summary>
    private sealed class Attempt(FilePortableLockState state, LockRequest request) : IDisposable
    {
        private FileStream? _gate;

        public async ValueTask<FilePortableLockAcquisition?> TryOnceAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(state.Backend.DisposedToken.IsCancellationRequested, state.Backend);
            return request.Kind switch
            {
                LockKind.Semaphore => await TrySemaphoreAsync(cancellationToken).ConfigureAwait(false),
                LockKind.ReaderWriter when request.Access == LockAccess.Shared => await TryReadAsync(cancellationToken).ConfigureAwait(false),
                LockKind.ReaderWriter => await TryWriteAsync(cancellationToken).ConfigureAwait(false),
                _ => TryExclusive(),
            };
        }

        public void Dispose() => _gate?.Dispose();

        // Lock and election: the fence lives in the lock file, which we hold alone.
        private FilePortableLockAcquisition? TryExclusive()
        {
            var held = state.Backend.TryOpen(state.PrefixPath + FileLockPaths.LockSuffix, exclusive: true);
            return held is null ? null : Grant(held, FileLockPaths.LockSuffix, FileFence.Next(held.SafeFileHandle, state.Backend.TimeProvider));
        }

        private async ValueTask<FilePortableLockAcquisition?> TrySemaphoreAsync(CancellationToken cancellationToken)
        {
            for (var i = 0; i < request.Permits; i++)
            {
                var suffix = FileLockPaths.SlotSuffix(i);
                if (state.Backend.TryOpen(state.PrefixPath + suffix, exclusive: true) is { } slot)
                {
                    return await GrantFencedAsync(slot, suffix, cancellationToken).ConfigureAwait(false);
                }
            }

            return null;
        }

        private async ValueTask<FilePortableLockAcquisition?> TryWriteAsync(CancellationToken cancellationToken)
        {
            _gate ??= state.Backend.TryOpen(state.PrefixPath + FileLockPaths.GateSuffix, exclusive: true);
            if (_gate is null || state.Backend.TryOpen(state.PrefixPath + FileLockPaths.ReaderWriterSuffix, exclusive: true) is not { } held)
            {
                return null;
            }

            var lease = await GrantFencedAsync(held, FileLockPaths.ReaderWriterSuffix, cancellationToken).ConfigureAwait(false);
            _gate.Dispose();
            _gate = null;
            return lease;
        }

        // A reader passes the gate (shared) only while no writer holds or waits at it.
        private async ValueTask<FilePortableLockAcquisition?> TryReadAsync(CancellationToken cancellationToken)
        {
            using var gate = state.Backend.TryOpen(state.PrefixPath + FileLockPaths.GateSuffix, exclusive: false);
            if (gate is null || state.Backend.TryOpen(state.PrefixPath + FileLockPaths.ReaderWriterSuffix, exclusive: false) is not { } held)
            {
                return null;
            }

            return await GrantFencedAsync(held, FileLockPaths.ReaderWriterSuffix, cancellationToken).ConfigureAwait(false);
        }

        // Semaphore and reader-writer holders are not alone on their file: the counter has a file of its own, held
        // alone for the microseconds of one increment.
        private async ValueTask<FilePortableLockAcquisition> GrantFencedAsync(FileStream held, string suffix, CancellationToken cancellationToken)
        {
            try
            {
                var fencePath = state.PrefixPath + FileLockPaths.FenceSuffix;
                FileStream? fence;
                while ((fence = state.Backend.TryOpen(fencePath, exclusive: true)) is null)
                {
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }

                using (fence)
                {
                    return Grant(held, suffix, FileFence.Next(fence.SafeFileHandle, state.Backend.TimeProvider));
                }
            }
            catch
            {
                held.Dispose();
                throw;
            }
        }

        private FilePortableLockAcquisition Grant(FileStream held, string suffix, long token)
        {
            try
            {
                var info = Info(request, token, request.Access) with { Since = state.Backend.TimeProvider.GetUtcNow() };
                var record = state.CreateRecord(FilePortableRecord.HolderPrefix, info);
                return state.Track(new FilePortableLockAcquisition(state, held, suffix, record, info));
            }
            catch
            {
                held.Dispose();
                throw;
            }
        }
    }
}
