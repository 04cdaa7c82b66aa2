using StackExchange.Redis;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>A provider over the application's own <see cref="IConnectionMultiplexer"/> (issue 14): <see cref="RedisBackend.Connect"/>.</summary>
public sealed class RedisGivenMultiplexerTests : IAsyncLifetime
{
    private readonly string _prefix = RedisTestServer.NewPrefix("given");
    private ConnectionMultiplexer _multiplexer = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(new Uri(RedisTestServer.Single(_prefix)).Authority);

    public ValueTask DisposeAsync() => _multiplexer.DisposeAsync();

    [Fact]
    public async Task Provider_OverTheApplicationsMultiplexer_LocksHandsOffAndLeavesItOpenWhenDisposed()
    {
        await using (var provider = RedisBackend.Connect(_multiplexer, $"prefix={_prefix}"))
        {
            Assert.True(provider.Capabilities.Fair);
            var first = await provider.CreateLock("given").AcquireAsync(RedisTestExtensions.Patience, Cancel);
            Assert.Null(await provider.CreateLock("given").TryAcquireAsync(cancellationToken: Cancel));

            // A waiter is woken through a subscription on the given multiplexer.
            var waiting = provider.CreateLock("given").AcquireAsync(RedisTestExtensions.Patience, Cancel).AsTask();
            await RedisTestExtensions.WaitUntilAsync(() => provider.RedisBackend().Attempts >= 1, "the waiter to queue");
            await first.ReleaseAsync();
            await using var second = await waiting;
            Assert.True(second.FencingToken > first.FencingToken, $"{second.FencingToken} after {first.FencingToken}");
        }

        Assert.True(_multiplexer.IsConnected);
        await _multiplexer.GetDatabase().PingAsync();
        Assert.False(await _multiplexer.GetDatabase().KeyExistsAsync(_prefix + "{lock:given}:owner"));
    }

    [Theory]
    [InlineData("fair=false", false)]
    [InlineData("?fair=true", true)]
    [InlineData(null, true)]
    public async Task Settings_OfAGivenConnection_TakeFairAndPrefix(string? fair, bool expected)
    {
        await using var provider = RedisBackend.Connect(_multiplexer, fair is null ? $"prefix={_prefix}" : $"{fair}&prefix={_prefix}");

        Assert.Equal(expected, provider.Capabilities.Fair);
    }

    [Theory]
    [InlineData("mode=redlock")]
    [InlineData("timeout=1s")]
    [InlineData("connectTimeout=1s")]
    [InlineData("bogus=1")]
    public void Settings_ThatTheConnectionDecidesOrThatDoNotExist_AreRefused(string settings) =>
        Assert.Throws<FormatException>(() => RedisBackend.Connect(_multiplexer, settings));
}
