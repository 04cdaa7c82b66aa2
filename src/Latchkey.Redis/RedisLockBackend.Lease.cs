using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>Operations on a held lease: release, renewal, an election value, and a waiter's place.</summary>
internal sealed partial class RedisLockBackend
{
    private const string UnconfirmedRelease = "The release could not be confirmed; the lock frees itself when its TTL runs out.";

    internal async ValueTask ReleaseAsync(RedisLockAcquisition lease, bool mustConfirm)
    {
        if (lease.RenewalEntry is { } entry)
        {
            Renewal.Remove(entry);
        }

        _held.TryRemove(lease, out _);
        if (lease.PlainLock)
        {
            // The common case without the fan-out over masters below: one op, batched with others under load.
            try
            {
                await Batcher!.ReleaseAsync(lease.Keys, lease.Holders[0]!).ConfigureAwait(false);
            }
            catch (LockBackendUnavailableException ex) when (mustConfirm)
            {
                throw new LockBackendUnavailableException(UnconfirmedRelease, ex);
            }
            catch (LockBackendUnavailableException)
            {
                // Disposing: the lock frees itself when its TTL runs out.
            }

            return;
        }

        var values = new RedisValue[] { lease.Mode.ToString(), RedisValue.Null, lease.Keys.Channel.ToString(), WakePrefix };
        var outcomes = await Task.WhenAll(_nodes.Select(async (node, i) =>
        {
            if (lease.Holders[i] is not { } holder)
            {
                return (Exception?)null;
            }

            try
            {
                var perNode = (RedisValue[])values.Clone();
                perNode[1] = holder;
                await node.EvaluateAsync(RedisScripts.Release, lease.Keys.ForRelease, perNode).ConfigureAwait(false);
                return null;
            }
            catch (LockBackendUnavailableException ex)
            {
                return ex;
            }
        })).ConfigureAwait(false);

        var failures = outcomes.Where(e => e is not null).ToList();
        if (mustConfirm && failures.Count > _nodes.Length - _quorum)
        {
            throw new LockBackendUnavailableException(UnconfirmedRelease, failures[0]!);
        }
    }

    internal async Task<RenewOutcome> RenewAsync(RedisLockAcquisition lease)
    {
        var ttl = (long)lease.Ttl.TotalMilliseconds;
        var pending = _nodes.Select(async (node, i) =>
        {
            if (lease.Holders[i] is not { } holder)
            {
                return (bool?)false;
            }

            try
            {
                var reply = await node.EvaluateAsync(RedisScripts.Renew, lease.Keys.ForRenew, [lease.Mode.ToString(), holder, ttl]).ConfigureAwait(false);
                return (long)reply == 1;
            }
            catch (LockBackendUnavailableException)
            {
                return null;
            }
        }).ToList();

        // Confirmed as soon as a majority is: a slow or dead master must not hold the lease hostage.
        int renewed = 0, gone = 0;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            var result = await done.ConfigureAwait(false);
            renewed += result == true ? 1 : 0;
            gone += result == false ? 1 : 0;
            if (renewed >= _quorum)
            {
                return RenewOutcome.Confirmed;
            }

            if (gone > _nodes.Length - _quorum)
            {
                return RenewOutcome.Gone;
            }
        }

        return RenewOutcome.Failed;
    }

    internal async ValueTask ProclaimAsync(RedisLockAcquisition lease, string value)
    {
        var results = await Task.WhenAll(_nodes.Select(async (node, i) =>
        {
            if (lease.Holders[i] is not { } holder)
            {
                return false;
            }

            try
            {
                return (long)await node.EvaluateAsync(RedisScripts.Proclaim, lease.Keys.ForProclaim, [holder, value, lease.Keys.Channel.ToString()]).ConfigureAwait(false) == 1;
            }
            catch (LockBackendUnavailableException)
            {
                return false;
            }
        })).ConfigureAwait(false);

        if (results.Count(r => r) < _quorum)
        {
            throw new LockLostException("The leader's value could not be replaced: leadership is no longer held (or the servers did not answer).");
        }
    }

    internal async Task<RenewOutcome> TouchAsync(AcquireArgs attempt)
    {
        var results = await Task.WhenAll(_nodes.Select(async node =>
        {
            try
            {
                return (bool?)((long)await node.EvaluateAsync(RedisScripts.Touch, attempt.Keys.ForWaiter, [attempt.Member, attempt.OwnerId, attempt.TtlMs, attempt.Fair ? 1 : 0]).ConfigureAwait(false) == 1);
            }
            catch (LockBackendUnavailableException)
            {
                return null;
            }
        })).ConfigureAwait(false);
        return results.Any(r => r == false) ? RenewOutcome.Gone : results.Any(r => r is null) ? RenewOutcome.Failed : RenewOutcome.Confirmed;
    }
}
