using System.Diagnostics.CodeAnalysis;
using Npgsql;

namespace Latchkey.Fencing.PostgreSql;

/// <summary>
/// Makes writes to PostgreSQL conditional on a lock's fencing token: a write lands only if no newer holder
/// of the lock has written to the same resource, checked in the write's own transaction. A holder that
/// paused past its lease (GC, VM migration, SIGSTOP) and wakes up still believing it holds the lock is
/// refused with <see cref="FencedWriteRefusedException"/> instead of overwriting the newer holder's data.
/// </summary>
/// <remarks>
/// <para>
/// The fence is a table (<c>resource text PRIMARY KEY, token bigint</c>, see <see cref="CreateTableSql"/>)
/// holding the highest token that has written to each resource. A fenced write, in one transaction and one
/// round trip: <c>INSERT … ON CONFLICT (resource) DO UPDATE SET token = …</c>, which fails if the recorded
/// token is higher, so the transaction is rolled back before the user's statement runs; otherwise the
/// user's statement runs and both commit together. The fence row stays locked until the commit, so fenced
/// writes to one resource are serialized.
/// </para>
/// <para>
/// Tokens increase per lock name: guard each resource with one lock name only. An equal token is accepted,
/// so one holder may write many times. The connection must be open and have no transaction: the fence owns
/// the transaction. Instances are immutable and thread-safe; keep one per table.
/// </para>
/// </remarks>
[SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads ship together in the package's first version; the rule guards later additions.")]
public sealed class PostgresFence
{
    /// <summary>The fence table's default name.</summary>
    public const string DefaultTableName = "latchkey_fences";

    private readonly FenceSql _sql;

    /// <summary>Creates a fence backed by the table <paramref name="tableName"/>.</summary>
    /// <param name="tableName">
    /// A lower-case SQL identifier, optionally schema-qualified (<c>latchkey_fences</c>, <c>app.fences</c>).
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="tableName"/> is not such an identifier.</exception>
    public PostgresFence(string tableName = DefaultTableName) => _sql = new FenceSql(tableName);

    /// <summary>The fence table's name.</summary>
    public string TableName => _sql.TableName;

    /// <summary>The one-time DDL that creates the fence table (idempotent: <c>CREATE TABLE IF NOT EXISTS</c>).</summary>
    public string CreateTableSql => _sql.CreateTable;

    /// <summary>Creates the fence table unless it exists. Safe to call from many processes at once.</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    public async Task EnsureTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = new NpgsqlCommand(_sql.CreateTable, connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // IF NOT EXISTS is not atomic: two sessions creating the table at once can both pass the check,
            // and the loser fails on the catalog's unique index. The table exists, which is what was asked.
        }
    }

    /// <summary>
    /// Runs one SQL statement in a transaction that first records <paramref name="handle"/>'s fencing token for
    /// <paramref name="resource"/>, and commits both only if no higher token has written to the resource.
    /// </summary>
    /// <param name="connection">An open connection with no transaction in progress.</param>
    /// <param name="handle">The held lock whose <see cref="ILockHandle.FencingToken"/> guards the write.</param>
    /// <param name="sql">One SQL statement, with named (<c>@id</c>) or positional (<c>$1</c>) parameters.</param>
    /// <param name="parameters">The statement's parameters (copied, so they can be reused), or <see langword="null"/>.</param>
    /// <param name="resource">The fenced resource (1–1,024 UTF-8 bytes); <see langword="null"/> for the lock's name.</param>
    /// <param name="cancellationToken">Cancels the transaction (nothing is written).</param>
    /// <returns>The number of rows the statement affected.</returns>
    /// <exception cref="ArgumentException">A null or empty argument, or a resource that is too long.</exception>
    /// <exception cref="LockLostException"><paramref name="handle"/> was no longer held (<see cref="ILockHandle.IsHeld"/>: released, lost, or past its lease).</exception>
    /// <exception cref="FencedWriteRefusedException">A higher token has written to the resource; nothing was written.</exception>
    public async Task<int> ExecuteAsync(
        NpgsqlConnection connection,
        ILockHandle handle,
        string sql,
        IEnumerable<NpgsqlParameter>? parameters = null,
        string? resource = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        resource = Prepare(connection, handle, resource);

        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var rollbackUnlessCommitted = transaction.ConfigureAwait(false);
        using var batch = new NpgsqlBatch(connection, transaction);
        var statement = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters ?? [])
        {
            statement.Parameters.Add(parameter.Clone());
        }

        // One round trip for the fence and the statement: when the fence refuses, the server skips the rest.
        batch.BatchCommands.Add(AdvanceCommand(resource, handle.FencingToken));
        batch.BatchCommands.Add(statement);
        await RunAsync(batch, resource, handle.FencingToken, cancellationToken).ConfigureAwait(false);

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return checked((int)statement.RecordsAffected);
    }

    /// <summary>
    /// Runs <paramref name="work"/> (several statements, reads and writes) in a transaction that first records
    /// <paramref name="handle"/>'s fencing token for <paramref name="resource"/>, and commits it only if no
    /// higher token has written to the resource.
    /// </summary>
    /// <typeparam name="T">What <paramref name="work"/> returns.</typeparam>
    /// <param name="connection">An open connection with no transaction in progress.</param>
    /// <param name="handle">The held lock whose <see cref="ILockHandle.FencingToken"/> guards the write.</param>
    /// <param name="work">
    /// The writes, given the fenced transaction (run commands on <see cref="NpgsqlTransaction.Connection"/>
    /// with it) and <paramref name="cancellationToken"/>. It must not commit or roll back; if it throws,
    /// the transaction is rolled back.
    /// </param>
    /// <param name="resource">The fenced resource (1–1,024 UTF-8 bytes); <see langword="null"/> for the lock's name.</param>
    /// <param name="cancellationToken">Cancels the transaction (nothing is written).</param>
    /// <returns>What <paramref name="work"/> returned, once the transaction has committed.</returns>
    /// <exception cref="ArgumentException">A null argument, or an empty or too long resource.</exception>
    /// <exception cref="LockLostException"><paramref name="handle"/> was no longer held (<see cref="ILockHandle.IsHeld"/>: released, lost, or past its lease).</exception>
    /// <exception cref="FencedWriteRefusedException">A higher token has written to the resource; <paramref name="work"/> did not run.</exception>
    public async Task<T> ExecuteAsync<T>(
        NpgsqlConnection connection,
        ILockHandle handle,
        Func<NpgsqlTransaction, CancellationToken, Task<T>> work,
        string? resource = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        resource = Prepare(connection, handle, resource);

        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var rollbackUnlessCommitted = transaction.ConfigureAwait(false);
        using (var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { AdvanceCommand(resource, handle.FencingToken) } })
        {
            await RunAsync(batch, resource, handle.FencingToken, cancellationToken).ConfigureAwait(false);
        }

        var result = await work(transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a fenced transaction, like
    /// <see cref="ExecuteAsync{T}(NpgsqlConnection, ILockHandle, Func{NpgsqlTransaction, CancellationToken, Task{T}}, string?, CancellationToken)"/>,
    /// for work that returns nothing.
    /// </summary>
    /// <param name="connection">An open connection with no transaction in progress.</param>
    /// <param name="handle">The held lock whose <see cref="ILockHandle.FencingToken"/> guards the write.</param>
    /// <param name="work">The writes, given the fenced transaction; must not commit or roll back.</param>
    /// <param name="resource">The fenced resource (1–1,024 UTF-8 bytes); <see langword="null"/> for the lock's name.</param>
    /// <param name="cancellationToken">Cancels the transaction (nothing is written).</param>
    /// <returns>A task that completes once the transaction has committed.</returns>
    /// <exception cref="ArgumentException">A null argument, or an empty or too long resource.</exception>
    /// <exception cref="LockLostException"><paramref name="handle"/> was no longer held (<see cref="ILockHandle.IsHeld"/>: released, lost, or past its lease).</exception>
    /// <exception cref="FencedWriteRefusedException">A higher token has written to the resource; <paramref name="work"/> did not run.</exception>
    public Task ExecuteAsync(
        NpgsqlConnection connection,
        ILockHandle handle,
        Func<NpgsqlTransaction, CancellationToken, Task> work,
        string? resource = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return ExecuteAsync(
            connection,
            handle,
            async (transaction, ct) =>
            {
                await work(transaction, ct).ConfigureAwait(false);
                return true;
            },
            resource,
            cancellationToken);
    }

    /// <summary>The highest fencing token that has written to <paramref name="resource"/>, or <see langword="null"/> if none has.</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="resource">The fenced resource.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The highest token recorded, or <see langword="null"/>.</returns>
    public async Task<long?> GetHighestTokenAsync(NpgsqlConnection connection, string resource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        FenceSql.ValidateResource(resource, nameof(resource));
        using var command = new NpgsqlCommand(_sql.Highest, connection) { Parameters = { new() { Value = resource } } };
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long token ? token : null;
    }

    private static string Prepare(NpgsqlConnection connection, ILockHandle handle, string? resource)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(handle);
        resource ??= handle.Name;
        FenceSql.ValidateResource(resource, nameof(resource));
        if (!handle.IsHeld)
        {
            throw new LockLostException($"The lock '{handle.Name}' (fencing token {handle.FencingToken}) was no longer held (lost, released or past its lease) before the fenced write to '{resource}'; nothing was written.");
        }

        return resource;
    }

    private NpgsqlBatchCommand AdvanceCommand(string resource, long token) =>
        new(_sql.Advance) { Parameters = { new() { Value = resource }, new() { Value = token } } };

    /// <summary>
    /// Runs a batch that starts with the fence statement. On the fence's error (which the user's own SQL may
    /// raise too) it rolls back and throws the refusal if a higher token than <paramref name="token"/> is
    /// recorded (a newer holder has written, so the write is refused in any case); otherwise it rethrows.
    /// </summary>
    private async Task RunAsync(NpgsqlBatch batch, string resource, long token, CancellationToken cancellationToken)
    {
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == FenceSql.RefusedSqlState)
        {
            await batch.Transaction!.RollbackAsync(cancellationToken).ConfigureAwait(false);
            var highest = await GetHighestTokenAsync(batch.Connection!, resource, cancellationToken).ConfigureAwait(false);
            if (highest > token)
            {
                throw new FencedWriteRefusedException(resource, token, highest);
            }

            throw;
        }
    }
}
