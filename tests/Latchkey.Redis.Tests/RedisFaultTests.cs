using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Latchkey.Conformance;
using Xunit;

namespace Latchkey.Redis.Tests;

/// <summary>Faults and bad input, on redis-server processes this test starts (and kills) itself.</summary>
public sealed class RedisFaultTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Redlock_WithOneMasterDown_StillAcquiresAndWithTwoDown_FailsCleanly()
    {
        RequireRedisServer();
        await using var a = await RedisServerProcess.StartAsync();
        await using var b = await RedisServerProcess.StartAsync();
        await using var c = await RedisServerProcess.StartAsync();
        var prefix = RedisTestServer.NewPrefix("kill");
        await using var provider = LockProvider.Connect($"redis://{a.Address},{b.Address},{c.Address}?mode=redlock&prefix={prefix}&connectTimeout=1s");
        var theLock = provider.CreateLock("survivor");

        var first = await theLock.AcquireAsync(RedisTestExtensions.Patience, Cancel);
        await first.ReleaseAsync();

        await a.KillAsync();
        var second = await theLock.AcquireAsync(RedisTestExtensions.Patience, Cancel);
        Assert.True(second.FencingToken > first.FencingToken, $"{second.FencingToken} after {first.FencingToken}");
        await second.ReleaseAsync();

        await b.KillAsync();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await theLock.TryAcquireAsync(cancellationToken: Cancel));
        await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await theLock.AcquireAsync(RedisTestExtensions.Patience, Cancel));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Failing took {clock.Elapsed}.");

        // The one master still up granted, then had its grant taken back: nothing but the counter remains.
        await using var admin = await RedisAdmin.ConnectAsync($"redis://{c.Address}");
        Assert.All(admin.KeysUnder(prefix), k => Assert.EndsWith(":fence", k, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redlock_TokenIsMajorityMax_AndNextMajorityWithoutThatMasterStillDrawsLarger()
    {
        RequireRedisServer();
        await using var a = await RedisServerProcess.StartAsync();
        await using var b = await RedisServerProcess.StartAsync();
        await using var c = await RedisServerProcess.StartAsync();
        var prefix = RedisTestServer.NewPrefix("fence");
        await using var provider = LockProvider.Connect($"redis://{a.Address},{b.Address},{c.Address}?mode=redlock&prefix={prefix}&connectTimeout=1s");
        var fenceKey = $"{prefix}{{lock:tokens}}:fence";

        // Master a's counter ran ahead (it granted locks while b and c were unreachable, say), beyond the clock
        // that fresh counters start at (next_token in common.lua).
        var ahead = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000) + 1_000_000_000_000;
        await using (var adminA = await RedisAdmin.ConnectAsync($"redis://{a.Address}"))
        {
            await adminA.Database.StringSetAsync(fenceKey, ahead);
        }

        var first = await provider.CreateLock("tokens").AcquireAsync(RedisTestExtensions.Patience, Cancel);
        Assert.Equal(ahead + 1, first.FencingToken);
        await first.ReleaseAsync();

        // Without a, the next majority (b, c) must still draw a larger token: they were raised to 101.
        await a.KillAsync();
        await using var second = await provider.CreateLock("tokens").AcquireAsync(RedisTestExtensions.Patience, Cancel);
        Assert.True(second.FencingToken > first.FencingToken, $"{second.FencingToken} after {first.FencingToken}");
    }

    [Fact]
    public async Task Redlock_HolderKeepsLock_WhileOneMasterDies()
    {
        RequireRedisServer();
        await using var a = await RedisServerProcess.StartAsync();
        await using var b = await RedisServerProcess.StartAsync();
        await using var c = await RedisServerProcess.StartAsync();
        var connection = $"redis://{a.Address},{b.Address},{c.Address}?mode=redlock&prefix={RedisTestServer.NewPrefix("hold")}&connectTimeout=1s";
        await using var holder = LockProvider.Connect(connection);
        await using var other = LockProvider.Connect(connection);
        var options = new LockOptions { Ttl = TimeSpan.FromSeconds(1) };
        await using var held = await holder.CreateLock("kept", options).AcquireAsync(RedisTestExtensions.Patience, Cancel);
        await c.KillAsync();

        // Several TTLs pass: renewals on the two live masters keep the lease.
        await Task.Delay(options.Ttl * 3, Cancel);
        Assert.False(held.Lost.IsCancellationRequested, "Lost fired although a majority stayed up.");
        Assert.Null(await other.CreateLock("kept", options).TryAcquireAsync(cancellationToken: Cancel));
    }

    [Fact]
    public async Task ServerRestart_WithoutPersistence_FiresLost_AndLocksWorkAgainWithLargerTokens()
    {
        RequireRedisServer();
        await using var server = await RedisServerProcess.StartAsync();
        await using var provider = LockProvider.Connect($"redis://{server.Address}?connectTimeout=1s");
        var options = new LockOptions { Ttl = TimeSpan.FromMilliseconds(600) };
        var held = await provider.CreateLock("restart", options).AcquireAsync(RedisTestExtensions.Patience, Cancel);

        // The restarted server has no keys and no scripts: renewal finds the record gone (Lost),
        // and the next acquire loads the scripts again after NOSCRIPT.
        await server.RestartAsync();
        await held.Lost.WaitHandle.WaitOneAsync(RedisTestExtensions.Patience);

        var clock = Stopwatch.StartNew();
        ILockHandle? again = null;
        while (again is null)
        {
            // The multiplexer reconnects in the background; until then acquires fail fast. Bounded by Patience.
            Assert.True(clock.Elapsed < RedisTestExtensions.Patience, "No acquire succeeded after the restart.");
            try
            {
                again = await provider.CreateLock("restart", options).AcquireAsync(RedisTestExtensions.Patience, Cancel);
            }
            catch (LockBackendUnavailableException)
            {
                await Task.Delay(50, Cancel);
            }
        }

        await using (again)
        {
            // The counter was lost with the data; the new one starts at the server's clock, above every earlier token.
            Assert.True(again.FencingToken > held.FencingToken, $"{again.FencingToken} after {held.FencingToken}");
        }
    }

    [Fact]
    public async Task AfterAPartitionHeals_TheCutOffClientAcquiresWithinASecond()
    {
        var prefix = RedisTestServer.NewPrefix("heal");
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(new Uri(RedisTestServer.Single(prefix)).Authority));
        await using var provider = LockProvider.Connect($"redis://{proxy.Address}?prefix={prefix}");
        var theLock = provider.CreateLock("healed", new LockOptions { Ttl = TimeSpan.FromSeconds(3) });
        await (await theLock.AcquireAsync(RedisTestExtensions.Patience, Cancel)).ReleaseAsync();

        // Cut off for longer than the TTL, trying all the while, as a worker would (issue 17: a 4.1 s partition).
        proxy.Blackhole();
        var cut = Stopwatch.StartNew();
        while (cut.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await theLock.TryAcquireAsync(cancellationToken: Cancel));
            await Task.Delay(100, Cancel);
        }

        proxy.Heal();
        var healed = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await (await theLock.AcquireAsync(RedisTestExtensions.Patience, Cancel)).ReleaseAsync();
                break;
            }
            catch (LockBackendUnavailableException) when (healed.Elapsed < RedisTestExtensions.Patience)
            {
                await Task.Delay(20, Cancel);
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"Acquired {healed.Elapsed.TotalMilliseconds:F0} ms after the heal.");
        // The goal is 1 s; the bound is generous for a loaded machine (StackExchange.Redis's default back-off took 7.5 s).
        Assert.True(healed.Elapsed < TimeSpan.FromSeconds(3), $"Acquired {healed.Elapsed} after the heal.");
    }

    [Fact]
    public async Task FencingTokens_AfterFlushAll_KeepIncreasing()
    {
        RequireRedisServer();
        await using var server = await RedisServerProcess.StartAsync();
        await using var admin = await RedisAdmin.ConnectAsync($"redis://{server.Address}");
        await using var provider = LockProvider.Connect($"redis://{server.Address}?prefix={RedisTestServer.NewPrefix("flush")}");
        var theLock = provider.CreateLock("tokens");
        var tokens = new List<long>();
        for (var round = 0; round < 3; round++)
        {
            await using (var handle = await theLock.AcquireAsync(RedisTestExtensions.Patience, Cancel))
            {
                tokens.Add(handle.FencingToken);
            }

            await using (var handle = await theLock.AcquireAsync(RedisTestExtensions.Patience, Cancel))
            {
                tokens.Add(handle.FencingToken);
            }

            await admin.Server.FlushAllDatabasesAsync();
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());

        // A fresh counter starts at the server's clock in microseconds.
        var micros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        Assert.InRange(tokens[0], micros - 600_000_000, micros);
    }

    [Fact]
    public async Task Acquire_WhoseReplyTimesOut_IsTakenBackAndLeavesOnlyTheCounter()
    {
        RequireRedisServer();
        await using var server = await RedisServerProcess.StartAsync();
        var prefix = RedisTestServer.NewPrefix("lostreply");
        await using var admin = await RedisAdmin.ConnectAsync($"redis://{server.Address}");
        await using var provider = LockProvider.Connect($"redis://{server.Address}?prefix={prefix}&timeout=300ms");
        await provider.ConnectAsync(Cancel);

        // The server holds every command for 1.5 s: the acquire times out on the client, then runs anyway.
        await admin.Server.ExecuteAsync("CLIENT", "PAUSE", "1500", "ALL");
        await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await provider.CreateLock("late").TryAcquireAsync(cancellationToken: Cancel));

        // Once the pause ends, the late grant is followed by the take-back the client sent after the timeout.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (admin.KeysUnder(prefix).Count != 1 || !admin.KeysUnder(prefix)[0].EndsWith(":fence", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < RedisTestExtensions.Patience, $"Keys left: {string.Join(", ", admin.KeysUnder(prefix))}");
            await Task.Delay(50, Cancel);
        }

        // The late grant drew a token: the next one follows it.
        var late = (long)await admin.Database.StringGetAsync(admin.KeysUnder(prefix)[0]);
        await using var handle = await provider.CreateLock("late").AcquireAsync(RedisTestExtensions.Patience, Cancel);
        Assert.Equal(late + 1, handle.FencingToken);
    }

    [Fact]
    public async Task Connect_ToNothingListening_ThrowsUnavailableQuickly()
    {
        var port = FreePort();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await ConnectNowAsync($"redis://127.0.0.1:{port}?connectTimeout=1s"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Failing took {clock.Elapsed}.");

        await using var lazy = LockProvider.Connect($"redis://127.0.0.1:{port}?connectTimeout=1s");
        await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await lazy.CreateLock("x").TryAcquireAsync(cancellationToken: Cancel));
    }

    [Fact]
    public async Task Connect_WithWrongPassword_ThrowsAuthentication()
    {
        RequireRedisServer();
        await using var server = await RedisServerProcess.StartAsync("--requirepass", "right-secret");
        await Assert.ThrowsAsync<LockAuthenticationException>(async () => await ConnectNowAsync($"redis://:wrong@{server.Address}?connectTimeout=2s"));
        await Assert.ThrowsAsync<LockAuthenticationException>(async () => await ConnectNowAsync($"redis://{server.Address}?connectTimeout=2s"));

        await using var right = await ConnectNowAsync($"redis://:right-secret@{server.Address}");
        await using var handle = await right.CreateLock("authed").AcquireAsync(RedisTestExtensions.Patience, Cancel);
        Assert.True(handle.FencingToken > 0);
    }

    [Fact]
    public async Task Connect_ToServerThatIsNotRedis_ThrowsUnavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var serve = Task.Run(async () =>
        {
            // A web server's answer to anything.
            while (!stop.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"), stop.Token);
            }
        }, Cancel);

        await Assert.ThrowsAsync<LockBackendUnavailableException>(async () => await ConnectNowAsync($"redis://127.0.0.1:{port}?connectTimeout=1s"));
        await stop.CancelAsync();
        await serve.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Theory]
    [InlineData("redis://")]
    [InlineData("redis://127.0.0.1:99999")]
    [InlineData("redis://a:1,b:2")]
    [InlineData("redis://a:1,b:2?mode=redlock")]
    [InlineData("redis://a:1?mode=cluster")]
    [InlineData("redis://a:1?bogus=1")]
    [InlineData("redis://a:1/not-a-db")]
    [InlineData("redis://a:1?prefix={x}")]
    [InlineData("redis://a:1?connectTimeout=soon")]
    [InlineData("redis://a:1,b:2,c:3?mode=redlock&fair=true")]
    public void Connect_WithMalformedString_ThrowsFormatException(string connectionString) =>
        Assert.Throws<FormatException>(() => LockProvider.Connect(connectionString));

    [Fact]
    public async Task Options_TooShortTtlOrFairRedlock_AreRejected()
    {
        await using var single = LockProvider.Connect("redis://127.0.0.1:1");
        Assert.Throws<ArgumentOutOfRangeException>(() => single.CreateLock("x", new LockOptions { Ttl = TimeSpan.FromMilliseconds(50) }));
        await using var redlock = LockProvider.Connect("redis://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3?mode=redlock");
        Assert.Throws<ArgumentException>(() => redlock.CreateLock("x", new LockOptions { Fair = true }));
    }

    private static async Task<ILockProvider> ConnectNowAsync(string connectionString)
    {
        var provider = LockProvider.Connect(connectionString);
        try
        {
            await provider.ConnectAsync(Cancel);
            return provider;
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    internal static void RequireRedisServer()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, "redis-server")));
        if (!found)
        {
            Latchkey.Conformance.TestServers.Require("LATCHKEY_REDIS_SERVER_BINARY");
        }
    }
}
