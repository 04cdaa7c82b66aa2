using Latchkey.Backend;

namespace Latchkey.Internal;

/// <summary>The handle users hold: one per acquire, even when reentrant holds share a lease.</summary>
internal class LockHandle(string name, LockAcquisition lease, ReentrantEntry? entry, ReentrancyTable? table) : ILockHandle
{
    private int _released;

    public string Name { get; } = name;

    public long FencingToken => Lease.FencingToken;

    public CancellationToken Lost => Lease.Lost;

    protected LockAcquisition Lease { get; } = lease;

    protected bool IsReleased => Volatile.Read(ref _released) != 0;

    public ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return default;
        }

        if (entry is not null && table is not null && !table.Exit(entry))
        {
            return default;
        }

        LockMetrics.Released();
        return Lease.ReleaseAsync();
    }

    public ValueTask DisposeAsync() => ReleaseAsync();

    public override string ToString() => $"{Name} (token {FencingToken})";
}
