using Latchkey.Redis;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>
/// Issue 15's fault test on real servers: a holder process (a Redis lock with a short lease) is stopped with
/// SIGSTOP past its TTL, this test takes the lock and writes, and the holder resumes and writes. Through the
/// fence its write is refused and the newer value stays; a plain write in the same situation lands (so the
/// scenario does produce the stale write the fence prevents, and the test can fail).
/// </summary>
public sealed class PausedHolderTests : IAsyncLifetime
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _name = $"lktest-fence-{Guid.NewGuid():N}";
    private Scratch _db = null!;
    private ILockProvider _locks = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        RedisBackend.Register();
        _locks = LockProvider.Connect(PostgresTestServer.Redis);
        _db = await Scratch.CreateAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        await _locks.DisposeAsync();
    }

    [Fact]
    public async Task PausedPastTtl_ItsFencedWriteIsRefusedAndTheNewerValueStays()
    {
        var (stale, staleToken) = await HolderProcess.StartAsync(PostgresTestServer.Redis, _name, Ttl, _db, Patience, Ct);
        await using (stale)
        {
            await using var newer = await TakeOverAsync(stale, staleToken);
            await _db.Fence.ExecuteAsync(_db.Connection, newer, _db.Update, Scratch.Balance(200), _name, Ct);

            stale.Resume();
            Assert.Equal($"refused {staleToken} {newer.FencingToken}", await stale.AskAsync("fenced 100", Patience, Ct));

            Assert.Equal(200, await _db.BalanceAsync(Ct));
            Assert.Equal(newer.FencingToken, await _db.Fence.GetHighestTokenAsync(_db.Connection, _name, Ct));
            Assert.Equal("lost True", await stale.AskAsync("await-lost", Patience, Ct));
        }
    }

    [Fact]
    public async Task PausedPastTtl_ItsPlainWriteOverwritesTheNewerValue()
    {
        var (stale, staleToken) = await HolderProcess.StartAsync(PostgresTestServer.Redis, _name, Ttl, _db, Patience, Ct);
        await using (stale)
        {
            await using var newer = await TakeOverAsync(stale, staleToken);
            await _db.Fence.ExecuteAsync(_db.Connection, newer, _db.Update, Scratch.Balance(200), _name, Ct);

            stale.Resume();
            Assert.Equal("written 1", await stale.AskAsync("plain 100", Patience, Ct));

            Assert.Equal(100, await _db.BalanceAsync(Ct)); // the damage the fence prevents
        }
    }

    /// <summary>Stops the holder and acquires its lock here, once its lease has run out.</summary>
    private async Task<ILockHandle> TakeOverAsync(HolderProcess stale, long staleToken)
    {
        stale.Pause();
        var newer = await _locks.CreateLock(_name, new LockOptions { Ttl = Ttl }).AcquireAsync(Patience, Ct);
        Assert.True(newer.FencingToken > staleToken, $"{newer.FencingToken} after {staleToken}");
        return newer;
    }
}
