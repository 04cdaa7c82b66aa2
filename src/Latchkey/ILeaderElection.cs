namespace Latchkey;

/// <summary>
/// A leader election: candidates queue, the first holds leadership until it resigns or is lost, then
/// the next one takes over. The leader's term is its fencing token.
/// </summary>
public interface ILeaderElection
{
    /// <summary>The election's name, as given.</summary>
    string Name { get; }

    /// <summary>Campaigns with <paramref name="value"/> and waits until elected.</summary>
    /// <param name="value">What this candidate announces when leader (an address, an id); at most 64 KiB.</param>
    /// <param name="timeout">How long to wait for leadership; <see langword="null"/> for ever.</param>
    /// <param name="cancellationToken">Stops the campaign; the candidacy is withdrawn.</param>
    /// <exception cref="TimeoutException">Not elected within the timeout.</exception>
    ValueTask<ILeadership> CampaignAsync(string value, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Returns the current leader, or <see langword="null"/> when there is none.</summary>
    ValueTask<LeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Yields the current leader, then every change of leader or of its value, until cancelled.
    /// <see langword="null"/> means there is no leader.
    /// </summary>
    IAsyncEnumerable<LeaderInfo?> ObserveAsync(CancellationToken cancellationToken = default);
}
