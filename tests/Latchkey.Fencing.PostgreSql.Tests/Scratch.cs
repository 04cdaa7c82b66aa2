using Npgsql;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>
/// A fence table and an accounts table of a test's own (unique names, dropped at the end), with one
/// account (id 1, balance 0) to write to.
/// </summary>
internal sealed class Scratch : IAsyncDisposable
{
    private readonly string _suffix = Guid.NewGuid().ToString("N");

    private Scratch(NpgsqlConnection connection)
    {
        Connection = connection;
        Fence = new PostgresFence(FenceTable);
    }

    public NpgsqlConnection Connection { get; }

    public PostgresFence Fence { get; }

    public string FenceTable => $"fences_{_suffix}";

    public string Accounts => $"accounts_{_suffix}";

    public string Update => $"UPDATE {Accounts} SET balance = @b WHERE id = @id";

    public static async Task<Scratch> CreateAsync(CancellationToken cancellationToken)
    {
        var scratch = new Scratch(await PostgresTestServer.OpenAsync(cancellationToken));
        await scratch.Fence.EnsureTableAsync(scratch.Connection, cancellationToken);
        await scratch.SqlAsync($"CREATE TABLE {scratch.Accounts} (id int PRIMARY KEY, balance bigint NOT NULL); INSERT INTO {scratch.Accounts} VALUES (1, 0)", cancellationToken);
        return scratch;
    }

    public static NpgsqlParameter[] Balance(long balance) => [new("b", balance), new("id", 1)];

    public async Task<long> BalanceAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT balance FROM {Accounts} WHERE id = 1", Connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task SqlAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, Connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await SqlAsync($"DROP TABLE IF EXISTS {Accounts}, {FenceTable}", CancellationToken.None);
        await Connection.DisposeAsync();
    }
}
