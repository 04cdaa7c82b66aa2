using Latchkey.Backend;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Embedded;

/// <summary>
/// A held flock. The kernel keeps it until we unlock or the process dies, so nothing renews it; it is
/// lost only if its file is deleted or renamed away (another process could then lock a new file of the
/// same name), which <see cref="Lost"/> reports.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The Lost source has no timer, and Lost must stay observable after release.")]
internal sealed class FileLockAcquisition(FileLockState state, SafeFileHandle handle, string suffix, LockAccess access, long token, DateTimeOffset since, string? value, FileParticipantFile? record) : LockAcquisition, IFileHeld
{
    private readonly CancellationTokenSource _lost = new();
    private int _released;

    public override long FencingToken => token;

    public override CancellationToken Lost => _lost.Token;

    public LockAccess Access => access;

    public string Suffix => suffix;

    public string? Value { get; private set; } = value;

    public bool IsReleased => Volatile.Read(ref _released) != 0;

    public override ValueTask ReleaseAsync()
    {
        Unlock();
        return default;
    }

    public void Unlock()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            state.Untrack(this);
            record?.Dispose();

            // Unlock before closing: the kernel reports the close to watchers before it drops the lock,
            // and a waiter woken by that report must find the lock free.
            FileNative.UnlockFile(handle);
            handle.Dispose();
            state.OnLocalRelease();
        }
    }

    public override ValueTask ProclaimAsync(string value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (this)
        {
            if (IsReleased || _lost.IsCancellationRequested)
            {
                throw new LockLostException($"'{state.Name}' is no longer held by this handle.");
            }

            new FileHolderInfo(Environment.ProcessId, token, since, value).Write(handle);
            Value = value;
        }

        return default;
    }

    public void MarkLost()
    {
        // Off the watcher thread: Lost callbacks are user code.
        ThreadPool.UnsafeQueueUserWorkItem(static lost => lost.Cancel(), _lost, preferLocal: false);
    }
}
