using Npgsql;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>Arguments are checked before anything is sent: these need no server.</summary>
public sealed class BadInputTests
{
    private static readonly PostgresFence Fence = new();
    private static readonly FakeHandle Holder = new("accounts", 1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("")]
    [InlineData("Fences")]
    [InlineData("1fences")]
    [InlineData("fences; DROP TABLE accounts")]
    [InlineData("\"fences\"")]
    [InlineData("a.b.c")]
    [InlineData("app.")]
    [InlineData("fences-2")]
    public void Constructor_WithATableNameThatIsNotASafeIdentifier_Throws(string tableName)
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgresFence(tableName));

        Assert.Equal("tableName", e.ParamName);
        Assert.Contains("lower-case SQL identifier", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WithATableNameLongerThanPostgresKeeps_Throws() =>
        Assert.Throws<ArgumentException>(() => new PostgresFence(new string('f', 64)));

    [Theory]
    [InlineData("latchkey_fences", "CREATE TABLE IF NOT EXISTS \"latchkey_fences\"")]
    [InlineData("app.fences", "CREATE TABLE IF NOT EXISTS \"app\".\"fences\"")]
    [InlineData("user", "CREATE TABLE IF NOT EXISTS \"user\"")]
    public void Constructor_QuotesTheTableName(string tableName, string ddl) =>
        Assert.StartsWith(ddl, new PostgresFence(tableName).CreateTableSql, StringComparison.Ordinal);

    [Fact]
    public async Task Execute_WithoutAHandle_Throws()
    {
        var e = await Assert.ThrowsAsync<ArgumentNullException>(() => Fence.ExecuteAsync(new NpgsqlConnection(), null!, "SELECT 1", null, "r", Ct));

        Assert.Equal("handle", e.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\0b")]
    public async Task Execute_WithABadResource_Throws(string resource)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Fence.ExecuteAsync(new NpgsqlConnection(), Holder, "SELECT 1", null, resource, Ct));

        Assert.Equal("resource", e.ParamName);
    }

    [Fact]
    public async Task Execute_WithATooLongResource_SaysTheLimitAndTheLength()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Fence.ExecuteAsync(new NpgsqlConnection(), Holder, "SELECT 1", null, new string('r', 1500), Ct));

        Assert.Contains("1–1024 UTF-8 bytes; got 1500", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Execute_WithoutSql_Throws(string sql) =>
        await Assert.ThrowsAsync<ArgumentException>(() => Fence.ExecuteAsync(new NpgsqlConnection(), Holder, sql, null, "r", Ct));

    [Fact]
    public async Task Execute_WithoutWork_Throws() =>
        await Assert.ThrowsAsync<ArgumentNullException>(() => Fence.ExecuteAsync(new NpgsqlConnection(), Holder, (Func<NpgsqlTransaction, CancellationToken, Task>)null!, "r", Ct));

    [Fact]
    public async Task Execute_WithoutAConnection_Throws() =>
        await Assert.ThrowsAsync<ArgumentNullException>(() => Fence.ExecuteAsync(null!, Holder, "SELECT 1", null, "r", Ct));
}
