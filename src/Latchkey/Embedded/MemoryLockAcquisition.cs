using Latchkey.Backend;

namespace Latchkey.Embedded;

internal sealed class MemoryLockAcquisition(MemoryLockState state, MemoryLockBackend owner, LockAccess access, long token, string? value) : LockAcquisition, IQueueEntry
{
    private int _released;

    public override long FencingToken => token;

    // Nothing in one process can take an in-memory lock away from its holder.
    public override CancellationToken Lost => CancellationToken.None;

    public LockAccess Access => access;

    public string? Value { get; set; } = value;

    public MemoryLockBackend Owner => owner;

    public override ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            owner.Untrack(this);
            state.Release(this);
        }

        return default;
    }

    public override ValueTask ProclaimAsync(string value, CancellationToken cancellationToken)
    {
        state.Proclaim(this, value);
        return default;
    }
}
