using System.Diagnostics;
using Latchkey.Redis;
using Npgsql;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>
/// Issue 15's fault test on real servers: a holder process (a Redis lock with a short lease) is stopped with
/// SIGSTOP past its TTL, this test takes the lock and writes as the newer holder, and the holder's write
/// arrives after that. Through the fence it is refused and the newer value stays; a plain write in the same
/// situation overwrites the newer value (so the scenario does produce the stale write, and the test can fail).
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

    // The write leaves the holder before the pause, with its real handle (Lost not fired, checked by the
    // fence), and is held up on the way: it waits behind a transaction of this test, which then makes the
    // newer holder's write once the paused holder's lease has run out and the lock has passed.
    [Fact]
    public async Task PausedWithAFencedWriteInFlight_TheWriteIsRefusedAndTheNewerValueStays()
    {
        var (stale, staleToken) = await HolderProcess.StartAsync(PostgresTestServer.Redis, _name, Ttl, _db, Patience, Ct);
        await using (stale)
        {
            Assert.Equal("accepted", await stale.AskAsync("fenced 50", Patience, Ct));
            await using var ahead = await PostgresTestServer.OpenAsync(Ct);
            await using var newerWrite = await ahead.BeginTransactionAsync(Ct);
            await SqlAsync(ahead, $"SELECT token FROM {_db.FenceTable} WHERE resource = '{_name}' FOR UPDATE");

            await stale.SendAsync("fenced 100", Ct);
            await WaitUntilBlockedByAsync(ahead);
            await using var newer = await TakeOverAsync(stale, staleToken);
            await SqlAsync(ahead, new FenceSql(_db.FenceTable).Advance, _name, newer.FencingToken);
            await SqlAsync(ahead, $"UPDATE {_db.Accounts} SET balance = 200 WHERE id = 1");
            await newerWrite.CommitAsync(Ct);
            stale.Resume();

            Assert.Equal($"refused {staleToken} {newer.FencingToken}", await stale.ReadLineAsync(Patience, Ct));
            Assert.Equal(200, await _db.BalanceAsync(Ct));
            Assert.Equal(newer.FencingToken, await _db.Fence.GetHighestTokenAsync(_db.Connection, _name, Ct));
            Assert.Equal("lost True", await stale.AskAsync("await-lost", Patience, Ct));
        }
    }

    [Fact]
    public async Task PausedWithAPlainWriteInFlight_TheWriteOverwritesTheNewerValue()
    {
        var (stale, staleToken) = await HolderProcess.StartAsync(PostgresTestServer.Redis, _name, Ttl, _db, Patience, Ct);
        await using (stale)
        {
            await using var ahead = await PostgresTestServer.OpenAsync(Ct);
            await using var newerWrite = await ahead.BeginTransactionAsync(Ct);
            await SqlAsync(ahead, $"SELECT balance FROM {_db.Accounts} WHERE id = 1 FOR UPDATE");

            await stale.SendAsync("plain 100", Ct);
            await WaitUntilBlockedByAsync(ahead);
            await using var newer = await TakeOverAsync(stale, staleToken);
            await SqlAsync(ahead, $"UPDATE {_db.Accounts} SET balance = 200 WHERE id = 1");
            await newerWrite.CommitAsync(Ct);
            stale.Resume();

            Assert.Equal("written 1", await stale.ReadLineAsync(Patience, Ct));
            Assert.Equal(100, await _db.BalanceAsync(Ct)); // the damage the fence prevents
        }
    }

    // The classic order: the holder is stopped between deciding to write and writing, and writes on waking.
    // Its own handle's Lost may fire first on waking (then the fence throws LockLostException before
    // sending anything), so it writes with the handle as it saw it before the pause, to reach the fence.
    [Fact]
    public async Task PausedPastTtlThenWriting_UnawareOfTheLoss_IsRefusedAndTheNewerValueStays()
    {
        var (stale, staleToken) = await HolderProcess.StartAsync(PostgresTestServer.Redis, _name, Ttl, _db, Patience, Ct);
        await using (stale)
        {
            await using var newer = await TakeOverAsync(stale, staleToken);
            await _db.Fence.ExecuteAsync(_db.Connection, newer, _db.Update, Scratch.Balance(200), _name, Ct);

            stale.Resume();
            Assert.Equal($"refused {staleToken} {newer.FencingToken}", await stale.AskAsync("fenced-unaware 100", Patience, Ct));

            Assert.Equal(200, await _db.BalanceAsync(Ct));
            Assert.Equal(newer.FencingToken, await _db.Fence.GetHighestTokenAsync(_db.Connection, _name, Ct));
        }
    }

    [Fact]
    public async Task PausedPastTtlThenWriting_PlainWrite_OverwritesTheNewerValue()
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

    /// <summary>Waits until another session waits for a lock that <paramref name="blocker"/>'s transaction holds.</summary>
    private async Task WaitUntilBlockedByAsync(NpgsqlConnection blocker)
    {
        await using var probe = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", _db.Connection)
        {
            Parameters = { new() { Value = blocker.ProcessID } },
        };
        var clock = Stopwatch.StartNew();
        for (var delay = 1; (long)(await probe.ExecuteScalarAsync(Ct))! == 0; delay = Math.Min(delay * 2, 50))
        {
            Assert.True(clock.Elapsed < Patience, "The holder's write never reached the server.");
            await Task.Delay(delay, Ct);
        }
    }

    private static async Task SqlAsync(NpgsqlConnection connection, string sql, params object[] positional)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in positional)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(Ct);
    }
}
