using Latchkey.Backend;
using Latchkey.Redis.Protocol;

namespace Latchkey.Redis;

/// <summary>
/// One held acquisition: its holder record on each server that granted it, its fencing token, and what can be done
/// with it there: release, renewal (by the provider's renewal loop), and a leader's new value. On Redlock each of
/// these goes to every master that granted it and counts as done once a majority confirms.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Lost must stay valid after release; a CancellationTokenSource without a timer holds nothing to dispose.")]
internal sealed class RedisLockAcquisition : LockAcquisition, IRenewable
{
    private const string UnconfirmedRelease = "The release could not be confirmed; the lock frees itself when its TTL runs out.";
    private readonly RedisLockContext _context;
    private readonly CancellationTokenSource _lost = new();
    private object? _renewalEntry; // written once at grant, read by CheckLost from any thread
    private int _released;

    /// <param name="context">The provider's servers and renewal loop.</param>
    /// <param name="keys">The primitive's keys (a Redlock semaphore's: the slot's).</param>
    /// <param name="mode">What was acquired.</param>
    /// <param name="holders">Per server, the holder record (<c>&lt;owner id&gt;:&lt;token&gt;</c>) it granted, or <see langword="null"/>.</param>
    /// <param name="token">The fencing token.</param>
    /// <param name="ttl">The lease each grant and renewal gives.</param>
    /// <param name="plainLock">A lock (exclusive, not an election, single Redis; fair or not), released through the batcher by <c>lock.lua</c>.</param>
    public RedisLockAcquisition(RedisLockContext context, LockKeys keys, RedisLockMode mode, string?[] holders, long token, TimeSpan ttl, bool plainLock)
    {
        _context = context;
        Keys = keys;
        Mode = mode;
        Holders = holders;
        FencingToken = token;
        Ttl = ttl;
        PlainLock = plainLock;
    }

    public override long FencingToken { get; }

    public override CancellationToken Lost => _lost.Token;

    public override bool CheckLost() =>
        _lost.IsCancellationRequested || (Volatile.Read(ref _renewalEntry) is { } entry && _context.Renewal.CheckExpired(entry));

    public LockKeys Keys { get; }

    public RedisLockMode Mode { get; }

    /// <summary>Per server, the holder record (<c>&lt;owner id&gt;:&lt;token&gt;</c>) it granted, or <see langword="null"/>.</summary>
    public string?[] Holders { get; }

    public TimeSpan Ttl { get; }

    public bool CanBeLost => true;

    public bool PlainLock { get; }

    /// <summary>Starts holding: renewed from <paramref name="grantSentAt"/> (when the granting request was sent) on, and released if the provider is disposed first.</summary>
    public void Hold(long grantSentAt)
    {
        _context.Held.TryAdd(this, 0);
        _renewalEntry = _context.Renewal.Add(this, grantSentAt);
    }

    public override async ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await ReleaseOnServersAsync(mustConfirm: true).ConfigureAwait(false);
        }
    }

    /// <summary>Releases without reporting a failure (the TTL frees the lock then): on disposal, or a Redlock grant short of a majority.</summary>
    public async ValueTask ReleaseQuietlyAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await ReleaseOnServersAsync(mustConfirm: false).ConfigureAwait(false);
        }
    }

    public async Task<RenewOutcome> RenewAsync()
    {
        var ttl = (long)Ttl.TotalMilliseconds;
        var tally = await _context.Masters.VoteAsync(
            async (node, i) => Holders[i] is { } holder
                && (long)await node.EvaluateAsync(RedisScripts.Renew.Call().Keys(Keys).Arg("mode", ScriptMode.Of(Mode)).Arg("holder", holder).Arg("ttl", ttl)).ConfigureAwait(false) == 1,
            untilDecided: true).ConfigureAwait(false);
        return tally.Yes >= _context.Masters.Quorum ? RenewOutcome.Confirmed
            : tally.No > _context.Masters.Tolerated ? RenewOutcome.Gone
            : RenewOutcome.Failed;
    }

    public override async ValueTask ProclaimAsync(string value, CancellationToken cancellationToken)
    {
        if (_lost.IsCancellationRequested)
        {
            throw new LockLostException("This leadership was lost; it can no longer proclaim a value.");
        }

        var tally = await _context.Masters.VoteAsync(
            async (node, i) => Holders[i] is { } holder
                && (long)await node.EvaluateAsync(RedisScripts.Proclaim.Call().Keys(Keys).Arg("holder", holder).Arg("value", value).Arg("channel", Keys.ChannelName)).ConfigureAwait(false) == 1).ConfigureAwait(false);
        if (tally.Yes < _context.Masters.Quorum)
        {
            throw new LockLostException("The leader's value could not be replaced: leadership is no longer held (or the servers did not answer).");
        }
    }

    public void OnLost() => _ = _lost.CancelAsync();

    private async ValueTask ReleaseOnServersAsync(bool mustConfirm)
    {
        if (_renewalEntry is { } entry)
        {
            _context.Renewal.Remove(entry);
        }

        _context.Held.TryRemove(this, out _);
        if (PlainLock)
        {
            // The common case without the fan-out over masters below: one op, batched with others under load.
            try
            {
                await _context.Batcher!.ReleaseAsync(Keys, Holders[0]!).ConfigureAwait(false);
            }
            catch (LockBackendUnavailableException ex) when (mustConfirm)
            {
                throw new LockBackendUnavailableException(UnconfirmedRelease, ex);
            }
            catch (LockBackendUnavailableException)
            {
                // Not confirmed, and not asked to be: the lock frees itself when its TTL runs out.
            }

            return;
        }

        var tally = await _context.Masters.VoteAsync(async (node, i) =>
        {
            if (Holders[i] is { } holder)
            {
                var call = RedisScripts.Release.Call().Keys(Keys).Arg("mode", ScriptMode.Of(Mode)).Arg("holder", holder)
                    .Arg("channel", Keys.ChannelName).Arg("wake_prefix", _context.WakePrefix);
                await node.EvaluateAsync(call).ConfigureAwait(false);
            }

            return true;
        }).ConfigureAwait(false);
        if (mustConfirm && tally.Errors.Count > _context.Masters.Tolerated)
        {
            throw new LockBackendUnavailableException(UnconfirmedRelease, tally.Errors[0]);
        }
    }
}
