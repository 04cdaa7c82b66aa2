using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>
/// What an uncontended cycle costs the server, counted by its own <c>INFO commandstats</c> (which counts the commands
/// scripts call too), on a redis-server of the test's own so that no other test's traffic is counted.
/// </summary>
public sealed class RedisCostTests
{
    private const int Cycles = 100;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("")]
    [InlineData("&fair=false")]
    public async Task UncontendedCycle_IsTwoScriptCalls_WithNoPublishNorSubscription(string mode)
    {
        RedisFaultTests.RequireRedisServer();
        await using var server = await RedisServerProcess.StartAsync();
        await using var admin = await RedisAdmin.ConnectAsync($"redis://{server.Address}");
        await using var provider = LockProvider.Connect($"redis://{server.Address}?prefix={RedisTestServer.NewPrefix("cost")}{mode}");
        var theLock = provider.CreateLock("alone");
        await (await theLock.AcquireAsync(cancellationToken: Cancel)).ReleaseAsync();

        var before = await admin.CommandCallsAsync();
        for (var i = 0; i < Cycles; i++)
        {
            await (await theLock.AcquireAsync(cancellationToken: Cancel)).ReleaseAsync();
        }

        var after = await admin.CommandCallsAsync();
        long Calls(string command) => after.GetValueOrDefault(command) - before.GetValueOrDefault(command);
        Assert.Equal(2 * Cycles, Calls("evalsha"));
        Assert.Equal(0, Calls("publish"));
        Assert.Equal(0, Calls("subscribe"));
        Assert.Equal(0, Calls("time"));
        Assert.Equal(0, Calls("rpush"));
    }
}
