using Latchkey.Backend;
using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>Redlock: hold on a majority of independent masters within the validity window.</summary>
internal sealed partial class RedisLockBackend
{
    private async Task<AttemptResult> RedlockAttemptAsync(AcquireArgs a, LockKeys keys, RedisValue[] values, long started)
    {
        var replies = await Task.WhenAll(_nodes.Select(async node =>
        {
            try
            {
                var reply = (RedisResult[])(await node.EvaluateAsync(RedisScripts.Acquire, keys.ForAcquire, values).ConfigureAwait(false))!;
                return (Granted: (long)reply[0] == 1, Number: (long)reply[1], Error: (Exception?)null);
            }
            catch (LockBackendUnavailableException ex)
            {
                return (false, 0L, ex);
            }
        })).ConfigureAwait(false);

        var holders = new string?[_nodes.Length];
        long token = 0;
        var retryIn = long.MaxValue;
        for (var i = 0; i < replies.Length; i++)
        {
            if (replies[i].Granted)
            {
                holders[i] = $"{a.OwnerId}:{replies[i].Number}";
                token = Math.Max(token, replies[i].Number);
            }
            else if (replies[i].Error is null)
            {
                retryIn = Math.Min(retryIn, replies[i].Number);
            }
        }

        var granted = holders.Count(h => h is not null);
        var failures = replies.Count(r => r.Error is not null);
        if (granted >= _quorum && await AgreeOnTokenAsync(a, keys, holders, replies.Select(r => r.Number).ToArray(), token).ConfigureAwait(false)
            && _time.GetElapsedTime(started) < LeaseClock.GuaranteedFor(TimeSpan.FromMilliseconds(a.TtlMs)))
        {
            return new AttemptResult(Track(a, keys, holders, token, started), 0, false);
        }

        if (granted > 0)
        {
            var partial = new RedisLockAcquisition(this, keys, a.Mode, holders, token, TimeSpan.FromMilliseconds(a.TtlMs));
            await ReleaseAsync(partial, mustConfirm: false).ConfigureAwait(false);
        }

        if (failures > _nodes.Length - _quorum)
        {
            throw new LockBackendUnavailableException(
                $"Redlock reached only {_nodes.Length - failures} of {_nodes.Length} masters; it needs {_quorum}.",
                replies.First(r => r.Error is not null).Error!);
        }

        // A split vote: back off a random moment, as Redlock prescribes, so contenders do not collide again.
        return granted > 0
            ? new AttemptResult(null, Random.Shared.Next(2, 20), true)
            : new AttemptResult(null, retryIn == long.MaxValue ? 1 : retryIn, false);
    }

    /// <summary>
    /// Redlock's token is the largest counter of the majority; nodes whose counter is behind are raised to it
    /// while we still hold them, so every later majority (which shares a node with ours) draws a larger one.
    /// </summary>
    private async Task<bool> AgreeOnTokenAsync(AcquireArgs a, LockKeys keys, string?[] holders, long[] numbers, long token)
    {
        var confirmed = await Task.WhenAll(_nodes.Select(async (node, i) =>
        {
            if (holders[i] is not { } holder)
            {
                return false;
            }

            if (numbers[i] == token)
            {
                return true;
            }

            try
            {
                return (long)await node.EvaluateAsync(RedisScripts.Fence, keys.ForFence, [a.Mode.ToString(), holder, token]).ConfigureAwait(false) == 1;
            }
            catch (LockBackendUnavailableException)
            {
                return false;
            }
        })).ConfigureAwait(false);
        return confirmed.Count(c => c) >= _quorum;
    }
}
