using Npgsql;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>The PostgreSQL and Redis that scripts/test-servers.sh starts, read from the environment.</summary>
internal static class PostgresTestServer
{
    /// <summary>LATCHKEY_POSTGRES, a Npgsql connection string.</summary>
    public static string ConnectionString => Require("LATCHKEY_POSTGRES");

    /// <summary>LATCHKEY_REDIS: the lock backend with real leases for the fault tests.</summary>
    public static string Redis => Require("LATCHKEY_REDIS");

    public static async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// The value of <paramref name="variable"/>. When it is not set the test is skipped, except in CI
    /// (CI=true), where a missing server is a failure (the rule of tests/Latchkey.Conformance/TestServers.cs).
    /// </summary>
    private static string Require(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{variable} is not set: in CI every server must be running (see scripts/test-servers.sh).");
        }

        Assert.Skip($"{variable} is not set; run ./test.sh to start the servers.");
        return string.Empty;
    }
}
