using Latchkey.Backend;
using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>Redlock: hold on a majority of independent masters within the validity window.</summary>
internal static class Redlock
{
    /// <summary>
    /// Runs one acquire <paramref name="call"/> on every master at once. Held when a majority granted it, agreed on the
    /// token, and the lease is still guaranteed by the core's <see cref="LeaseClock"/> (counted from
    /// <paramref name="started"/>, when the requests went out); otherwise every grant is released at once.
    /// </summary>
    /// <exception cref="LockBackendUnavailableException">Too few masters answered for a majority.</exception>
    public static async Task<Outcome> AttemptAsync(RedisLockContext context, LockKeys keys, ScriptCall call, RedisLockMode mode, string ownerId, TimeSpan ttl, long started)
    {
        var masters = context.Masters;
        var numbers = new long[masters.Count];
        var holders = new string?[masters.Count];
        var answered = new bool[masters.Count];
        var tally = await masters.VoteAsync(async (node, i) =>
        {
            // A grant's number is its token; a refusal's, the ms until the holder's lease would run out.
            var reply = (RedisResult[])(await node.EvaluateAsync(call).ConfigureAwait(false))!;
            numbers[i] = (long)reply[1];
            holders[i] = (long)reply[0] == 1 ? $"{ownerId}:{numbers[i]}" : null;
            answered[i] = true;
            return holders[i] is not null;
        }).ConfigureAwait(false);

        var token = Enumerable.Range(0, numbers.Length).Where(i => holders[i] is not null).Select(i => numbers[i]).DefaultIfEmpty(0).Max();
        if (tally.Yes >= masters.Quorum && await AgreeOnTokenAsync(masters, keys, mode, holders, numbers, token).ConfigureAwait(false)
            && context.Time.GetElapsedTime(started) < LeaseClock.GuaranteedFor(ttl))
        {
            return new Outcome(holders, token, 0, false);
        }

        if (tally.Yes > 0)
        {
            await new RedisLockAcquisition(context, keys, mode, holders, token, ttl, plainLock: false).ReleaseQuietlyAsync().ConfigureAwait(false);
        }

        if (tally.Errors.Count > masters.Tolerated)
        {
            throw new LockBackendUnavailableException(
                $"Redlock reached only {masters.Count - tally.Errors.Count} of {masters.Count} masters; it needs {masters.Quorum}.", tally.Errors[0]);
        }

        // A split vote: back off a random moment, as Redlock prescribes, so contenders do not collide again.
        if (tally.Yes > 0)
        {
            return new Outcome(null, 0, Random.Shared.Next(2, 20), true);
        }

        var refusals = Enumerable.Range(0, numbers.Length).Where(i => holders[i] is null && answered[i]).Select(i => numbers[i]);
        return new Outcome(null, 0, refusals.DefaultIfEmpty(1).Min(), false);
    }

    /// <summary>
    /// Redlock's token is the largest counter of the majority; nodes whose counter is behind are raised to it
    /// while we still hold them, so every later majority (which shares a node with ours) draws a larger one.
    /// </summary>
    private static async Task<bool> AgreeOnTokenAsync(RedisMasters masters, LockKeys keys, RedisLockMode mode, string?[] holders, long[] numbers, long token)
    {
        var tally = await masters.VoteAsync(async (node, i) =>
        {
            if (holders[i] is not { } holder)
            {
                return false;
            }

            return numbers[i] == token
                || (long)await node.EvaluateAsync(RedisScripts.Fence.Call().Keys(keys).Arg("mode", ScriptMode.Of(mode)).Arg("holder", holder).Arg("token", token)).ConfigureAwait(false) == 1;
        }).ConfigureAwait(false);
        return tally.Yes >= masters.Quorum;
    }

    /// <summary>One Redlock attempt's result.</summary>
    /// <param name="Holders">Per master, the holder record it granted, when held; <see langword="null"/> when not.</param>
    /// <param name="Token">The fencing token, when held.</param>
    /// <param name="RetryInMs">When not held: when to try again without a message.</param>
    /// <param name="IgnorePulse">When not held: a split vote, to retry after <paramref name="RetryInMs"/> whatever messages come.</param>
    internal readonly record struct Outcome(string?[]? Holders, long Token, long RetryInMs, bool IgnorePulse);
}
