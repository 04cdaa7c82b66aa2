using Npgsql;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>Fenced writes against the real PostgreSQL of scripts/test-servers.sh, with holders played by tokens.</summary>
public sealed class PostgresFenceTests : IAsyncLifetime
{
    private const string Resource = "account:1";
    private Scratch _db = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _db = await Scratch.CreateAsync(Ct);

    public async ValueTask DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Execute_WithTheCurrentToken_WritesAndRecordsTheToken()
    {
        var rows = await _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 7), _db.Update, Scratch.Balance(100), Resource, Ct);

        Assert.Equal(1, rows);
        Assert.Equal(100, await _db.BalanceAsync(Ct));
        Assert.Equal(7, await _db.Fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
    }

    [Fact]
    public async Task Execute_WithAnOlderToken_IsRefusedAndTheNewerValueStays()
    {
        await _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 9), _db.Update, Scratch.Balance(900), Resource, Ct);

        var refused = await Assert.ThrowsAsync<FencedWriteRefusedException>(
            () => _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 8), _db.Update, Scratch.Balance(800), Resource, Ct));

        Assert.Equal((Resource, 8L, 9L), (refused.Resource, refused.Token, refused.HighestToken));
        Assert.Contains("token 8 is older than 9", refused.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<LockLostException>(refused);
        Assert.Equal(900, await _db.BalanceAsync(Ct));
        Assert.Equal(9, await _db.Fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
    }

    [Fact]
    public async Task Execute_Refused_RunsNoneOfTheWorkAndLeavesTheConnectionUsable()
    {
        await _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 9), _db.Update, Scratch.Balance(900), Resource, Ct);
        var ran = false;

        await Assert.ThrowsAsync<FencedWriteRefusedException>(() => _db.Fence.ExecuteAsync(
            _db.Connection,
            new FakeHandle("accounts", 8),
            async (transaction, ct) =>
            {
                ran = true;
                await using var command = new NpgsqlCommand(_db.Update, transaction.Connection, transaction) { Parameters = { new("b", 800L), new("id", 1) } };
                await command.ExecuteNonQueryAsync(ct);
            },
            Resource,
            Ct));

        Assert.False(ran);
        Assert.Equal(900, await _db.BalanceAsync(Ct));
    }

    [Fact]
    public async Task Execute_WhenTheWorkFailsHalfway_RollsBackItsWritesAndTheToken()
    {
        var failure = await Assert.ThrowsAsync<PostgresException>(() => _db.Fence.ExecuteAsync(
            _db.Connection,
            new FakeHandle("accounts", 5),
            async (transaction, ct) =>
            {
                await using var first = new NpgsqlCommand(_db.Update, transaction.Connection, transaction) { Parameters = { new("b", 500L), new("id", 1) } };
                await first.ExecuteNonQueryAsync(ct);
                await using var second = new NpgsqlCommand($"INSERT INTO {_db.Accounts} VALUES (1, 0)", transaction.Connection, transaction);
                await second.ExecuteNonQueryAsync(ct); // a duplicate key
            },
            Resource,
            Ct));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, failure.SqlState);
        Assert.Equal(0, await _db.BalanceAsync(Ct));
        Assert.Null(await _db.Fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
    }

    [Fact]
    public async Task Execute_WhenTheStatementFailsWithTheFencesError_ThrowsItsOwnErrorNotARefusal()
    {
        var failure = await Assert.ThrowsAsync<PostgresException>(() => _db.Fence.ExecuteAsync(
            _db.Connection, new FakeHandle("accounts", 5), $"UPDATE {_db.Accounts} SET balance = (id::text || 'x')::bigint WHERE id = 1", null, Resource, Ct));

        Assert.Equal(PostgresErrorCodes.InvalidTextRepresentation, failure.SqlState);
        Assert.Contains("1x", failure.MessageText, StringComparison.Ordinal);
        Assert.Null(await _db.Fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
    }

    [Fact]
    public async Task Execute_WithTheSameTokenTwice_AcceptsBoth()
    {
        var holder = new FakeHandle("accounts", 4);
        await _db.Fence.ExecuteAsync(_db.Connection, holder, _db.Update, Scratch.Balance(1), Resource, Ct);
        await _db.Fence.ExecuteAsync(_db.Connection, holder, _db.Update, Scratch.Balance(2), Resource, Ct);

        Assert.Equal(2, await _db.BalanceAsync(Ct));
    }

    [Fact]
    public async Task Execute_ParametersCanBeReused()
    {
        var parameters = Scratch.Balance(3);
        await _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 1), _db.Update, parameters, Resource, Ct);
        await _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 2), _db.Update, parameters, Resource, Ct);

        Assert.Equal(3, await _db.BalanceAsync(Ct));
    }

    [Fact]
    public async Task Execute_WithSeveralStatements_CommitsThemTogetherAndReturnsTheResult()
    {
        var total = await _db.Fence.ExecuteAsync(
            _db.Connection,
            new FakeHandle("accounts", 3),
            async (transaction, ct) =>
            {
                await using var insert = new NpgsqlCommand($"INSERT INTO {_db.Accounts} VALUES (2, 20), (3, 30)", transaction.Connection, transaction);
                await insert.ExecuteNonQueryAsync(ct);
                await using var sum = new NpgsqlCommand($"SELECT sum(balance)::bigint FROM {_db.Accounts}", transaction.Connection, transaction);
                return (long)(await sum.ExecuteScalarAsync(ct))!;
            },
            Resource,
            Ct);

        Assert.Equal(50, total);
        Assert.Equal(3, await _db.Fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
    }

    [Fact]
    public async Task Execute_ANewerWriteWhileAnOlderIsInFlight_WaitsForItAndLandsLast()
    {
        await using var other = await PostgresTestServer.OpenAsync(Ct);
        var olderInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var olderMayCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var older = _db.Fence.ExecuteAsync(other, new FakeHandle("accounts", 5), async (transaction, ct) =>
        {
            await using var update = new NpgsqlCommand(_db.Update, transaction.Connection, transaction) { Parameters = { new("b", 500L), new("id", 1) } };
            await update.ExecuteNonQueryAsync(ct);
            olderInside.SetResult();
            await olderMayCommit.Task.WaitAsync(ct);
        }, Resource, Ct);
        await olderInside.Task.WaitAsync(Ct);

        var newer = _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 6), _db.Update, Scratch.Balance(600), Resource, Ct);
        await using (var probe = await PostgresTestServer.OpenAsync(Ct))
        {
            await using var blocked = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", probe) { Parameters = { new() { Value = other.ProcessID } } };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while ((long)(await blocked.ExecuteScalarAsync(Ct))! == 0)
            {
                Assert.False(newer.IsCompleted, "The newer write did not wait for the older one's transaction.");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "The newer write never reached the server.");
                await Task.Delay(5, Ct);
            }
        }

        olderMayCommit.SetResult();
        await older;
        await newer;
        Assert.Equal(600, await _db.BalanceAsync(Ct));
        Assert.Equal(6, await _db.Fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
    }

    [Fact]
    public async Task Execute_WithoutAResource_FencesTheLockName()
    {
        await _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("jobs/nightly", 6), _db.Update, Scratch.Balance(6), cancellationToken: Ct);

        Assert.Equal(6, await _db.Fence.GetHighestTokenAsync(_db.Connection, "jobs/nightly", Ct));
    }

    [Fact]
    public async Task Execute_WithALostHandle_ThrowsLockLostAndWritesNothing()
    {
        var lost = await Assert.ThrowsAsync<LockLostException>(
            () => _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 10, lost: true), _db.Update, Scratch.Balance(10), Resource, Ct));

        Assert.IsNotType<FencedWriteRefusedException>(lost);
        Assert.Equal(0, await _db.BalanceAsync(Ct));
        Assert.Null(await _db.Fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
    }

    [Fact]
    public async Task Execute_WithASchemaQualifiedReservedWordTable_Works()
    {
        var schema = $"s_{Guid.NewGuid():N}";
        await _db.SqlAsync($"CREATE SCHEMA {schema}", Ct);
        try
        {
            var fence = new PostgresFence($"{schema}.user");
            await fence.EnsureTableAsync(_db.Connection, Ct);
            await fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 3), _db.Update, Scratch.Balance(3), Resource, Ct);

            Assert.Equal(3, await fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
            Assert.Equal(3, await _db.BalanceAsync(Ct));
        }
        finally
        {
            await _db.SqlAsync($"DROP SCHEMA {schema} CASCADE", CancellationToken.None);
        }
    }

    [Fact]
    public async Task EnsureTable_Again_KeepsTheRecordedTokens()
    {
        await _db.Fence.ExecuteAsync(_db.Connection, new FakeHandle("accounts", 2), _db.Update, Scratch.Balance(2), Resource, Ct);

        await _db.Fence.EnsureTableAsync(_db.Connection, Ct);

        Assert.Equal(2, await _db.Fence.GetHighestTokenAsync(_db.Connection, Resource, Ct));
    }

    [Fact]
    public async Task EnsureTable_FromManyConnectionsAtOnce_Succeeds()
    {
        var fence = new PostgresFence($"fences_{Guid.NewGuid():N}");
        var connections = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostgresTestServer.OpenAsync(Ct)));
        try
        {
            await Task.WhenAll(connections.Select(c => fence.EnsureTableAsync(c, Ct)));
            Assert.Null(await fence.GetHighestTokenAsync(connections[0], Resource, Ct));
        }
        finally
        {
            await _db.SqlAsync($"DROP TABLE IF EXISTS {fence.TableName}", CancellationToken.None);
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
