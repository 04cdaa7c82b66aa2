using Latchkey.Backend;

namespace Latchkey.Internal;

/// <summary>The handle users hold: one per acquire, even when reentrant holds share a lease.</summary>
internal class LockHandle(LockProvider provider, LockKind kind, string name, LockAcquisition lease, ReentrantEntry? entry, ReentrancyTable? table) : ILockHandle
{
    private int _released;

    public string Name { get; } = name;

    public long FencingToken => Lease.FencingToken;

    public CancellationToken Lost => Lease.Lost;

    protected LockAcquisition Lease { get; } = lease;

    protected bool IsReleased => Volatile.Read(ref _released) != 0;

    public bool IsHeld => !IsReleased && !Lease.CheckLost();

    public void ThrowIfNotHeld()
    {
        if (!IsHeld)
        {
            throw new LockLostException(IsReleased
                ? $"'{Name}' (token {FencingToken}) was released by this handle."
                : $"'{Name}' (token {FencingToken}) can no longer be guaranteed: its lease ran out or was lost.");
        }
    }

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

        var activity = LockTelemetry.StartRelease(provider, kind, Name, Lease);
        return activity is null ? Lease.ReleaseAsync() : ReleaseTracedAsync(activity);
    }

    private async ValueTask ReleaseTracedAsync(System.Diagnostics.Activity activity)
    {
        using (activity)
        {
            try
            {
                await Lease.ReleaseAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
                throw;
            }
        }
    }

    /// <summary>
    /// Releases like <see cref="ReleaseAsync"/> but never throws: the end of an <c>await using</c> block must not
    /// crash the app when the server does not answer. A release that could not be confirmed is logged and
    /// counted (<c>latchkey.lock.release.failures</c>); the lease or TTL still frees the lock.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Disposing never throws; ReleaseAsync is the call that reports failures.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LockTelemetry.ReleaseFailed(provider, kind, Name);
            LatchkeyLog.ReleaseFailedOnDispose(provider.Logger, Name, FencingToken, ex);
        }
    }

    public override string ToString() => $"{Name} (token {FencingToken})";
}
