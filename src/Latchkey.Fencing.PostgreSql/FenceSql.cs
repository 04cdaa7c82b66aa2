using System.Text;
using System.Text.RegularExpressions;

namespace Latchkey.Fencing.PostgreSql;

/// <summary>The SQL of a fence table, built once per table name, and the checks on what goes into it.</summary>
internal sealed partial class FenceSql
{
    /// <summary>PostgreSQL truncates longer identifiers (NAMEDATALEN − 1), which would silently alias two tables.</summary>
    private const int MaxIdentifierBytes = 63;

    private const int MaxResourceBytes = 1024;

    public FenceSql(string tableName)
    {
        ValidateTableName(tableName);
        TableName = tableName;

        // Quoted, so a reserved word (user, order) works; lower case only, so the quoted name is the same table
        // that the unquoted name in the user's own SQL (and in docs/fencing.md's DDL) refers to.
        var table = string.Join('.', tableName.Split('.').Select(p => $"\"{p}\""));
        CreateTable = $"CREATE TABLE IF NOT EXISTS {table} (\n    resource text PRIMARY KEY,\n    token bigint NOT NULL\n)";

        // One statement: record the token unless a higher one is recorded. ON CONFLICT evaluates the SET on the
        // newest row version after waiting for its row lock, so two writers of one resource are ordered by the
        // lock and the older token loses. A refusal fails the statement (a cast of non-constant text, so the
        // planner cannot fold it, and psql users read why): that aborts the transaction, and the user's
        // statement sent in the same round trip never runs. A CTE that divides by the upserted row count does
        // the same but costs about 50 µs more to plan on every call.
        Advance =
            $"INSERT INTO {table} AS f (resource, token) VALUES ($1, $2) ON CONFLICT (resource) DO UPDATE SET token = "
            + "CASE WHEN f.token <= EXCLUDED.token THEN EXCLUDED.token "
            + "ELSE ('latchkey: a newer fencing token has written to ' || f.resource)::bigint END";
        Highest = $"SELECT token FROM {table} WHERE resource = $1";
    }

    public string TableName { get; }

    public string CreateTable { get; }

    /// <summary>Parameters $1 resource, $2 token; fails with invalid_text_representation (22P02) when the token is refused.</summary>
    public string Advance { get; }

    /// <summary>Parameter $1 resource; one row with the highest token, or none.</summary>
    public string Highest { get; }

    /// <summary>The SQLSTATE with which <see cref="Advance"/> refuses a token.</summary>
    public const string RefusedSqlState = "22P02";

    public static void ValidateResource(string? resource, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(resource, parameterName);
        var bytes = Encoding.UTF8.GetByteCount(resource);
        if (bytes is 0 or > MaxResourceBytes)
        {
            throw new ArgumentException($"The fenced resource must be 1–{MaxResourceBytes} UTF-8 bytes; got {bytes}.", parameterName);
        }

        if (resource.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The fenced resource must not contain a NUL character (PostgreSQL text cannot hold one).", parameterName);
        }
    }

    private static void ValidateTableName(string? tableName)
    {
        ArgumentNullException.ThrowIfNull(tableName);
        var parts = tableName.Split('.');
        if (parts.Length > 2 || !parts.All(p => Identifier().IsMatch(p) && p.Length <= MaxIdentifierBytes))
        {
            throw new ArgumentException(
                $"The fence table name must be a lower-case SQL identifier, optionally schema-qualified (a–z, 0–9 and '_', "
                + $"not starting with a digit, at most {MaxIdentifierBytes} characters a part, such as latchkey_fences or app.fences); got '{tableName}'.",
                nameof(tableName));
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
