using Latchkey.Redis.Protocol;

namespace Latchkey.Redis;

/// <summary>
/// What a waiter leaves on the server while it waits: its place in a fair queue (with a deadline), or a waiting
/// writer's intent (which keeps new readers out). The renewal loop keeps it alive; the waiter withdraws it on giving up.
/// </summary>
internal sealed class RedisWaiterPlace(RedisLockContext context, LockKeys keys, string member, string ownerId, TimeSpan ttl, bool fair, Pulse pulse) : IRenewable
{
    public TimeSpan Ttl => ttl;

    public bool CanBeLost => false;

    public async Task<RenewOutcome> RenewAsync()
    {
        var call = RedisScripts.Touch.Call().Keys(keys).Arg("member", member).Arg("id", ownerId).Arg("ttl", (long)ttl.TotalMilliseconds).Arg("fair", fair ? 1 : 0);
        var tally = await context.Masters.VoteAsync(async (node, _) => (long)await node.EvaluateAsync(call).ConfigureAwait(false) == 1).ConfigureAwait(false);
        return tally.No > 0 ? RenewOutcome.Gone : tally.Errors.Count > 0 ? RenewOutcome.Failed : RenewOutcome.Confirmed;
    }

    // Dropped from the queue: retry now, which joins it again.
    public void OnLost() => pulse.Fire();

    /// <summary>Leaves the queue and drops the writer intent, on every master or on those where <paramref name="granted"/> has no holder (best effort: the deadline or the intent's TTL removes it anyway).</summary>
    public Task WithdrawAsync(string?[]? granted) => context.Masters.TryEachAsync(
        RedisScripts.Withdraw.Call().Keys(keys).Arg("member", member).Arg("id", ownerId).Arg("channel", keys.ChannelName).Arg("wake_prefix", context.WakePrefix),
        context.Logger,
        "withdraw a waiter",
        i => granted?[i] is not null);
}
