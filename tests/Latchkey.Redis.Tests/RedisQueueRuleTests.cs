using Latchkey.Backend;
using Latchkey.Redis.Protocol;
using StackExchange.Redis;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>
/// <c>acquire.lua</c> (and, for a lock, <c>lock.lua</c>'s <c>acquire_fair</c>) restates the core's queue rule (<see cref="QueueDecision"/>) in Lua. This property checks, on a real
/// Redis, that the script decides who holds as <see cref="QueueDecision.For"/> does, over random fair queues of
/// locks, readers and writers, and semaphores of 1–4 permits, as entries arrive, holders release and waiters give up.
/// </summary>
public sealed class RedisQueueRuleTests : IAsyncLifetime
{
    private const int Cases = 150;
    private const long TtlMs = 60_000;
    private RedisScriptRunner _redis = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _redis = await RedisScriptRunner.ConnectAsync("rule", Cancel);

    public ValueTask DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task AcquireScript_OnRandomFairQueues_HoldsExactlyWhomTheCoreQueueRuleLetsHold()
    {
        // Seeded, so a failure names the case that reproduces it.
        for (var seed = 1; seed <= Cases; seed++)
        {
            await CheckCaseAsync(seed);
        }
    }

    private async Task CheckCaseAsync(int seed)
    {
        var random = new Random(seed);
        // A lock is decided by acquire.lua or by the lock's own scripts (lock.lua's acquire_fair and release_lock).
        var lockScripts = random.Next(4) == 3;
        var (kind, permits) = random.Next(3) switch
        {
            _ when lockScripts => (LockKind.Lock, 1),
            0 => (LockKind.Lock, 1),
            1 => (LockKind.ReaderWriter, 1),
            _ => (LockKind.Semaphore, random.Next(1, 5)),
        };
        var keys = new LockKeys(_redis.Prefix, kind, $"case-{seed}");
        var queue = new List<Entry>();
        var held = new Dictionary<Entry, string>();
        var history = new List<string>();
        var arrivals = 0;
        for (var step = random.Next(1, 25); step > 0; step--)
        {
            var holders = queue.Where(held.ContainsKey).ToList();
            var waiters = queue.Where(e => !held.ContainsKey(e)).ToList();
            var choice = random.NextDouble();
            if (queue.Count == 0 || choice < 0.55 || (choice >= 0.8 && waiters.Count == 0))
            {
                var access = kind == LockKind.ReaderWriter && random.Next(2) == 0 ? LockAccess.Shared : LockAccess.Exclusive;
                var mode = kind switch
                {
                    LockKind.Semaphore => RedisLockMode.Semaphore,
                    LockKind.ReaderWriter => access == LockAccess.Shared ? RedisLockMode.Reader : RedisLockMode.Writer,
                    _ => RedisLockMode.Exclusive,
                };
                var owner = $"o{++arrivals}";
                var entry = new Entry(owner, $"rule|{owner}|{ScriptMode.Of(mode)}", mode, access);
                queue.Add(entry);
                history.Add($"{owner} {mode} arrives");
                await TryAsync(keys, entry, permits, held, lockScripts);
            }
            else if (choice < 0.8)
            {
                var holder = holders[random.Next(holders.Count)];
                history.Add($"{holder.OwnerId} releases");
                var call = lockScripts
                    ? RedisScripts.ReleaseLock.Call().Key("owner", keys.Owner).Key("queue", keys.Queue).Arg("holder", held[holder])
                        .Arg("channel", keys.ChannelName).Arg("wake_prefix", _redis.WakePrefix).Arg("always", 0)
                    : RedisScripts.Release.Call().Keys(keys).Arg("mode", ScriptMode.Of(holder.Mode)).Arg("holder", held[holder])
                        .Arg("channel", keys.ChannelName).Arg("wake_prefix", _redis.WakePrefix);
                Assert.Equal(1, (long)await _redis.RunAsync(call));
                held.Remove(holder);
                queue.Remove(holder);
                await RetryWaitersAsync(keys, queue, permits, held, lockScripts);
            }
            else
            {
                var waiter = waiters[random.Next(waiters.Count)];
                history.Add($"{waiter.OwnerId} gives up");
                await _redis.RunAsync(RedisScripts.Withdraw.Call().Keys(keys).Arg("member", waiter.Member).Arg("id", waiter.OwnerId)
                    .Arg("channel", keys.ChannelName).Arg("wake_prefix", _redis.WakePrefix));
                queue.Remove(waiter);
                await RetryWaitersAsync(keys, queue, permits, held, lockScripts);
            }

            for (var i = 0; i < queue.Count; i++)
            {
                var rule = QueueDecision.For(queue, i, queue[i].Access, permits).Holds;
                Assert.True(
                    rule == held.ContainsKey(queue[i]),
                    $"Case {seed} ({kind}, {permits} permits), after: {string.Join("; ", history)}. The rule says {queue[i].OwnerId} (#{i}) "
                    + $"{(rule ? "holds" : "waits")}; the script {(rule ? "did not grant it" : "granted it")}.");
            }
        }
    }

    /// <summary>What a woken waiter does: every waiter tries again, oldest first.</summary>
    private async Task RetryWaitersAsync(LockKeys keys, List<Entry> queue, int permits, Dictionary<Entry, string> held, bool lockScripts)
    {
        foreach (var waiter in queue.Where(e => !held.ContainsKey(e)).ToList())
        {
            await TryAsync(keys, waiter, permits, held, lockScripts);
        }
    }

    private async Task TryAsync(LockKeys keys, Entry entry, int permits, Dictionary<Entry, string> held, bool lockScripts)
    {
        if (lockScripts)
        {
            var token = (long)await _redis.RunAsync(RedisScripts.AcquireLock.Call().Keys(keys).Arg("id", entry.OwnerId).Arg("ttl", TtlMs)
                .Arg("channel", keys.ChannelName).Arg("fair", 1).Arg("wait", 1).Arg("member", entry.Member)
                .Arg("wake_prefix", _redis.WakePrefix).Arg("always", 0));
            if (token > 0)
            {
                held[entry] = $"{entry.OwnerId}:{token}";
            }

            return;
        }

        var call = RedisScripts.Acquire.Call().Keys(keys)
            .Arg("mode", ScriptMode.Of(entry.Mode)).Arg("id", entry.OwnerId).Arg("ttl", TtlMs).Arg("permits", permits)
            .Arg("fair", 1).Arg("wait", 1).Arg("member", entry.Member).Arg("wake_prefix", _redis.WakePrefix)
            .Arg("channel", keys.ChannelName).Arg("value", string.Empty).Arg("floor", 0);
        var reply = (RedisResult[])(await _redis.RunAsync(call))!;
        if ((long)reply[0] == 1)
        {
            held[entry] = $"{entry.OwnerId}:{(long)reply[1]}";
        }
    }

    private sealed record Entry(string OwnerId, string Member, RedisLockMode Mode, LockAccess Access) : IQueueEntry;
}
