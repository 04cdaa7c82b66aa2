using Npgsql;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>The code and SQL of docs/fencing.md, run as written (with memory:// locks and the test's tables).</summary>
public sealed class DocumentedPatternTests : IAsyncLifetime
{
    private Scratch _db = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _db = await Scratch.CreateAsync(Ct);

    public async ValueTask DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Helper_WithRealHandles_TheLaterHolderWinsAndTheEarlierIsRefused()
    {
        await using var locks = LockProvider.Connect("memory://");
        var fence = _db.Fence;
        var first = await locks.CreateLock("account:1").AcquireAsync(TimeSpan.FromSeconds(10), Ct);
        await first.ReleaseAsync();
        await using var held = await locks.CreateLock("account:1").AcquireAsync(TimeSpan.FromSeconds(10), Ct);

        await fence.ExecuteAsync(_db.Connection, held, _db.Update, [new("b", 1_000L), new("id", 1)], resource: "account:1", cancellationToken: Ct);

        // The earlier holder's handle knows it no longer holds the lock: refused before anything is sent.
        var early = await Assert.ThrowsAsync<LockLostException>(
            () => fence.ExecuteAsync(_db.Connection, first, _db.Update, [new("b", 1L), new("id", 1)], resource: "account:1", cancellationToken: Ct));
        Assert.IsNotType<FencedWriteRefusedException>(early);

        // One that still believes it holds it (a paused holder, as it saw its handle) is refused by the fence table.
        var stale = new FakeHandle(first.Name, first.FencingToken);
        var e = await Assert.ThrowsAsync<FencedWriteRefusedException>(
            () => fence.ExecuteAsync(_db.Connection, stale, _db.Update, [new("b", 1L), new("id", 1)], resource: "account:1", cancellationToken: Ct));

        Assert.Equal((first.FencingToken, held.FencingToken), (e.Token, e.HighestToken));
        Assert.Equal(1_000, await _db.BalanceAsync(Ct));
    }

    [Fact]
    public async Task TokenColumn_AnOlderTokenUpdatesNoRow()
    {
        await _db.SqlAsync($"ALTER TABLE {_db.Accounts} ADD COLUMN fence_token bigint NOT NULL DEFAULT 0", Ct);
        var update = $"UPDATE {_db.Accounts} SET balance = @b, fence_token = @t WHERE id = @id AND fence_token <= @t";

        Assert.Equal(1, await WriteAsync(update, balance: 9, token: 9));
        Assert.Equal(1, await WriteAsync(update, balance: 10, token: 9));
        Assert.Equal(0, await WriteAsync(update, balance: 8, token: 8));
        Assert.Equal(10, await _db.BalanceAsync(Ct));
    }

    [Fact]
    public async Task TokenColumn_AnOlderTokenUpsertsNoRow()
    {
        await _db.SqlAsync($"ALTER TABLE {_db.Accounts} ADD COLUMN fence_token bigint NOT NULL DEFAULT 0", Ct);
        var upsert = $"INSERT INTO {_db.Accounts} (id, balance, fence_token) VALUES (@id, @b, @t) "
            + "ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance, fence_token = EXCLUDED.fence_token "
            + $"WHERE {_db.Accounts}.fence_token <= EXCLUDED.fence_token";

        Assert.Equal(1, await WriteAsync(upsert, balance: 9, token: 9));
        Assert.Equal(0, await WriteAsync(upsert, balance: 8, token: 8));
        Assert.Equal(9, await _db.BalanceAsync(Ct));
    }

    private async Task<int> WriteAsync(string sql, long balance, long token)
    {
        await using var command = new NpgsqlCommand(sql, _db.Connection) { Parameters = { new("b", balance), new("t", token), new("id", 1) } };
        return await command.ExecuteNonQueryAsync(Ct);
    }
}
