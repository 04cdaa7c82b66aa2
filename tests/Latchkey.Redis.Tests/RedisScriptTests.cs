using Latchkey.Redis.Protocol;
using StackExchange.Redis;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>Each script, with the shared Lua it includes, runs on a real Redis and answers as its header says.</summary>
public sealed class RedisScriptTests : IAsyncLifetime
{
    private const long TtlMs = 60_000;
    private RedisScriptRunner _redis = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _redis = await RedisScriptRunner.ConnectAsync("scripts", Cancel);

    public ValueTask DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task SemaphoreScripts_AcquireRenewQueueTouchWithdrawAndRelease()
    {
        var keys = new LockKeys(_redis.Prefix, LockKind.Semaphore, "sem");
        var first = await AcquireAsync(keys, RedisLockMode.Semaphore, "a", permits: 1);
        var second = await AcquireAsync(keys, RedisLockMode.Semaphore, "b", permits: 1);
        Assert.Equal(1, (long)first[0]);
        Assert.Equal(0, (long)second[0]);

        var holder = $"a:{(long)first[1]}";
        Assert.Equal(1, await RunAsync(RedisScripts.Renew.Call().Keys(keys).Arg("mode", "s").Arg("holder", holder).Arg("ttl", TtlMs)));
        Assert.Equal(1, await RunAsync(RedisScripts.Touch.Call().Keys(keys).Arg("member", Member("b", "s")).Arg("id", "b").Arg("ttl", TtlMs).Arg("fair", 1)));

        var status = (RedisResult[])(await _redis.RunAsync(RedisScripts.Status.Call().Keys(keys)))!;
        Assert.Equal([Member("b", "s")], ((RedisResult[])status[4]!).Select(r => (string)r!));

        Assert.Equal(1, await RunAsync(RedisScripts.Withdraw.Call().Keys(keys).Arg("member", Member("b", "s")).Arg("id", "b").Arg("channel", keys.ChannelName).Arg("wake_prefix", _redis.WakePrefix)));
        Assert.Equal(0, await RunAsync(RedisScripts.Touch.Call().Keys(keys).Arg("member", Member("b", "s")).Arg("id", "b").Arg("ttl", TtlMs).Arg("fair", 1)));
        Assert.Equal(1, await RunAsync(Release(keys, "s", holder)));
        Assert.Equal(0, await RunAsync(Release(keys, "s", holder)));
    }

    [Fact]
    public async Task ElectionScripts_ProclaimAndFenceOnlyWhileLeading()
    {
        var keys = new LockKeys(_redis.Prefix, LockKind.Election, "elect");
        var won = await AcquireAsync(keys, RedisLockMode.Exclusive, "leader", permits: 1, value: "v1");
        var holder = $"leader:{(long)won[1]}";

        Assert.Equal(1, await RunAsync(RedisScripts.Proclaim.Call().Keys(keys).Arg("holder", holder).Arg("value", "v2").Arg("channel", keys.ChannelName)));
        Assert.Equal("v2", (string?)await _redis.Database.StringGetAsync(keys.Value));
        var agreed = (long)won[1] + 1000;
        Assert.Equal(1, await RunAsync(RedisScripts.Fence.Call().Keys(keys).Arg("mode", "x").Arg("holder", holder).Arg("token", agreed)));
        Assert.Equal(agreed, (long)await _redis.Database.StringGetAsync(keys.Fence));
        Assert.NotNull(await _redis.Database.KeyTimeToLiveAsync(keys.Fence));

        Assert.Equal(1, await RunAsync(Release(keys, "x", holder)));
        Assert.Equal(0, await RunAsync(RedisScripts.Proclaim.Call().Keys(keys).Arg("holder", holder).Arg("value", "v3").Arg("channel", keys.ChannelName)));
        Assert.Equal(0, await RunAsync(RedisScripts.Fence.Call().Keys(keys).Arg("mode", "x").Arg("holder", holder).Arg("token", 2000)));
    }

    [Fact]
    public async Task LockScripts_AcquireOnceAndReleaseOnlyTheirOwnRecord()
    {
        var keys = new LockKeys(_redis.Prefix, LockKind.Lock, "plain");
        var token = await RunAsync(AcquireLock(keys, "a"));
        var refused = await RunAsync(AcquireLock(keys, "b"));

        Assert.True(token > 0, $"token {token}");
        Assert.True(refused < 0, $"reply {refused}");
        Assert.Equal(0, await RunAsync(ReleaseLock(keys, $"b:{token}")));
        Assert.Equal(1, await RunAsync(ReleaseLock(keys, $"a:{token}")));
    }

    [Fact]
    public async Task FairLockScript_WhenNobodyWaits_TakesTheLockAndLeavesNoQueue()
    {
        var keys = new LockKeys(_redis.Prefix, LockKind.Lock, "fair-alone");

        var token = await RunAsync(AcquireLock(keys, "a", fair: true, wait: true));

        Assert.True(token > 0, $"token {token}");
        Assert.False(await _redis.Database.KeyExistsAsync(keys.Queue));
        Assert.False(await _redis.Database.KeyExistsAsync(keys.Deadlines));
        Assert.Equal(1, await RunAsync(ReleaseLock(keys, $"a:{token}")));
    }

    [Fact]
    public async Task FairLockScript_QueuesWaitersAndGrantsOnlyTheHead_ThenLeavesNoQueue()
    {
        var keys = new LockKeys(_redis.Prefix, LockKind.Lock, "fair-queue");
        var first = await RunAsync(AcquireLock(keys, "a", fair: true, wait: true));
        Assert.True(await RunAsync(AcquireLock(keys, "b", fair: true, wait: true)) < 0);
        Assert.True(await RunAsync(AcquireLock(keys, "c", fair: true, wait: true)) < 0);
        Assert.True(await RunAsync(AcquireLock(keys, "d", fair: true, wait: false)) < 0);
        Assert.Equal([Member("b", "x"), Member("c", "x")], (await _redis.Database.ListRangeAsync(keys.Queue)).Select(v => (string)v!));

        Assert.Equal(1, await RunAsync(ReleaseLock(keys, $"a:{first}")));
        Assert.True(await RunAsync(AcquireLock(keys, "c", fair: true, wait: true)) < 0, "the second in line took the lock from the head");
        var barged = await RunAsync(AcquireLock(keys, "e"));
        Assert.True(barged > 0, "a barging acquire ignores the queue");
        Assert.Equal(1, await RunAsync(ReleaseLock(keys, $"e:{barged}")));
        var second = await RunAsync(AcquireLock(keys, "b", fair: true, wait: true));
        Assert.True(second > barged, $"token {second} after {barged}");
        Assert.Equal([Member("c", "x")], (await _redis.Database.ListRangeAsync(keys.Queue)).Select(v => (string)v!));

        Assert.Equal(1, await RunAsync(ReleaseLock(keys, $"b:{second}")));
        var third = await RunAsync(AcquireLock(keys, "c", fair: true, wait: true));
        Assert.True(third > second, $"token {third} after {second}");
        Assert.False(await _redis.Database.KeyExistsAsync(keys.Queue));
        Assert.False(await _redis.Database.KeyExistsAsync(keys.Deadlines));
    }

    private ScriptCall AcquireLock(LockKeys keys, string id, bool fair = false, bool wait = false) =>
        RedisScripts.AcquireLock.Call().Keys(keys).Arg("id", id).Arg("ttl", TtlMs).Arg("channel", keys.ChannelName)
            .Arg("fair", fair ? 1 : 0).Arg("wait", wait ? 1 : 0).Arg("member", fair ? Member(id, "x") : string.Empty)
            .Arg("wake_prefix", _redis.WakePrefix).Arg("always", 0);

    private static string Member(string id, string mode) => $"p|{id}|{mode}";

    private ScriptCall Release(LockKeys keys, string mode, string holder) =>
        RedisScripts.Release.Call().Keys(keys).Arg("mode", mode).Arg("holder", holder).Arg("channel", keys.ChannelName).Arg("wake_prefix", _redis.WakePrefix);

    private ScriptCall ReleaseLock(LockKeys keys, string holder) =>
        RedisScripts.ReleaseLock.Call().Key("owner", keys.Owner).Key("queue", keys.Queue).Arg("holder", holder).Arg("channel", keys.ChannelName).Arg("wake_prefix", _redis.WakePrefix).Arg("always", 0);

    private async Task<RedisResult[]> AcquireAsync(LockKeys keys, RedisLockMode mode, string id, int permits, string value = "") =>
        (RedisResult[])(await _redis.RunAsync(RedisScripts.Acquire.Call().Keys(keys)
            .Arg("mode", ScriptMode.Of(mode)).Arg("id", id).Arg("ttl", TtlMs).Arg("permits", permits).Arg("fair", 1).Arg("wait", 1)
            .Arg("member", Member(id, ScriptMode.Of(mode))).Arg("wake_prefix", _redis.WakePrefix).Arg("channel", keys.ChannelName)
            .Arg("value", value).Arg("floor", 0)))!;

    private async Task<long> RunAsync(ScriptCall call) => (long)await _redis.RunAsync(call);
}
