using System.Runtime.CompilerServices;
using System.Text;
using Latchkey.Backend;

namespace Latchkey.Internal;

/// <summary>An election is an exclusive queue whose head is the leader; its value rides on the holder's record.</summary>
internal sealed class LeaderElection(LockProvider provider, PrimitiveSpec spec) : ILeaderElection
{
    public const int MaxValueBytes = 64 * 1024;

    public string Name => spec.Name;

    public static void ValidateValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > MaxValueBytes)
        {
            throw new ArgumentException($"Election value must be at most {MaxValueBytes} UTF-8 bytes; got {bytes}.", nameof(value));
        }
    }

    public async ValueTask<ILeadership> CampaignAsync(string value, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ValidateValue(value);
        var request = new LockRequest
        {
            Kind = LockKind.Election,
            Name = spec.Name,
            EscapedName = spec.EscapedName,
            Access = LockAccess.Exclusive,
            Permits = 1,
            Options = spec.Options,
            Wait = true,
            Value = value,
        };

        // Reentrancy does not apply: a second campaign from one flow is a second candidate.
        var handle = await Acquisition.AcquireAsync(provider, request, timeout, owner: null, cancellationToken).ConfigureAwait(false);
        return (ILeadership)handle;
    }

    public async ValueTask<LeaderInfo?> GetLeaderAsync(CancellationToken cancellationToken = default)
    {
        provider.ThrowIfDisposed();
        var status = await provider.Backend.GetStatusAsync(LockKind.Election, spec.Name, spec.EscapedName, cancellationToken).ConfigureAwait(false);
        return LeaderOf(status);
    }

    public async IAsyncEnumerable<LeaderInfo?> ObserveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        provider.ThrowIfDisposed();
        LeaderInfo? last = null;
        var first = true;
        await foreach (var status in provider.Backend.WatchStatusAsync(LockKind.Election, spec.Name, spec.EscapedName, cancellationToken).ConfigureAwait(false))
        {
            var leader = LeaderOf(status);
            if (first || leader != last)
            {
                first = false;
                last = leader;
                yield return leader;
            }
        }
    }

    private static LeaderInfo? LeaderOf(LockStatus status) =>
        status.Holders.Count == 0 ? null : new LeaderInfo(status.Holders[0].Value ?? string.Empty, status.Holders[0].Sequence ?? 0);
}
