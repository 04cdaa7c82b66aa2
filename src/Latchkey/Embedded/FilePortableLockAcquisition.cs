using Latchkey.Backend;

namespace Latchkey.Embedded;

/// <summary>
/// A lock held by the portable <c>file://</c>: an open handle that keeps others out (see <see cref="FileShareLock"/>),
/// and the holder record that status readers see. The OS closes the handle if the process dies, so nothing
/// renews it; <see cref="Lost"/> fires only if the held file is deleted or renamed (possible on Unix, not on Windows).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The Lost source has no timer, and Lost must stay observable after release.")]
internal sealed class FilePortableLockAcquisition(FilePortableLockState state, FileStream held, string suffix, FilePortableRecord record, FileHolderInfo info) : LockAcquisition, IFileHeld
{
    private readonly CancellationTokenSource _lost = new();
    private FileHolderInfo _info = info;
    private int _released;

    public override long FencingToken => _info.Token;

    public override CancellationToken Lost => _lost.Token;

    public string Suffix => suffix;

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
            held.Dispose(); // Before the record goes: a waiter woken by its deletion must find the file free.
            record.Dispose();
            state.OnLocalRelease();
        }
    }

    public override ValueTask ProclaimAsync(string value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lost)
        {
            if (IsReleased || _lost.IsCancellationRequested)
            {
                throw new LockLostException($"'{state.Name}' is no longer held by this handle.");
            }

            _info = _info with { Value = value };
            record.Rewrite(_info);
        }

        return default;
    }

    public void MarkLost() => ThreadPool.UnsafeQueueUserWorkItem(static lost => lost.Cancel(), _lost, preferLocal: false);
}
