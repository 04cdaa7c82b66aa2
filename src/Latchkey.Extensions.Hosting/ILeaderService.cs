namespace Latchkey.Extensions.Hosting;

/// <summary>
/// Work that runs on one instance of a fleet at a time: the leader. Registered with
/// <see cref="LatchkeyHostingServiceCollectionExtensions.AddLeaderService{TService}"/>.
/// </summary>
public interface ILeaderService
{
    /// <summary>
    /// Runs while this instance leads. <paramref name="leadershipLost"/> is cancelled the moment leadership
    /// is lost (the lease could not be kept) or the host stops: stop then, and pass
    /// <see cref="ILockHandle.FencingToken"/> of <paramref name="leadership"/> to what you write. Returning
    /// resigns; the instance then campaigns again.
    /// </summary>
    /// <param name="leadership">This instance's leadership: its fencing token and <c>Lost</c>.</param>
    /// <param name="leadershipLost">Cancelled when leadership is lost or the host stops.</param>
    Task RunAsLeaderAsync(ILeadership leadership, CancellationToken leadershipLost);
}
