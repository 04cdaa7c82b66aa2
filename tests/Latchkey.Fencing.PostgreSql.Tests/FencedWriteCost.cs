using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>
/// The cost of a fenced write against the plain single-statement transaction it guards, on the test server:
/// a measurement, not a test, skipped unless LATCHKEY_PG_BENCH=1. Paired rounds (every variant in every
/// round, the order rotated) so that drift on a shared machine hits all variants alike.
/// Run: LATCHKEY_PG_BENCH=1 dotnet run --project tests/Latchkey.Fencing.PostgreSql.Tests -- -class "*FencedWriteCost" -showliveoutput
/// </summary>
public sealed class FencedWriteCost
{
    private const int Rounds = 10;
    private const int WritesPerRound = 200;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FencedWrite_AgainstThePlainTransaction()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("LATCHKEY_PG_BENCH") == "1", "A measurement, not a test: set LATCHKEY_PG_BENCH=1.");
        await using var db = await Scratch.CreateAsync(Ct);
        var holder = new FakeHandle("bench", 1);
        var variants = new (string Name, Func<long, Task> Write)[]
        {
            ("plain transaction (BEGIN; UPDATE; COMMIT)", async b =>
            {
                await using var tx = await db.Connection.BeginTransactionAsync(Ct);
                await using var update = new NpgsqlCommand(db.Update, db.Connection, tx) { Parameters = { new("b", b), new("id", 1) } };
                await update.ExecuteNonQueryAsync(Ct);
                await tx.CommitAsync(Ct);
            }),
            ("fenced statement (ExecuteAsync(sql))", b => db.Fence.ExecuteAsync(db.Connection, holder, db.Update, Scratch.Balance(b), "bench", Ct)),
            ("fenced callback (ExecuteAsync(work))", b => db.Fence.ExecuteAsync(db.Connection, holder, async (tx, ct) =>
            {
                await using var update = new NpgsqlCommand(db.Update, tx.Connection, tx) { Parameters = { new("b", b), new("id", 1) } };
                await update.ExecuteNonQueryAsync(ct);
            }, "bench", Ct)),
            ("autocommit UPDATE (no transaction block)", async b =>
            {
                await using var update = new NpgsqlCommand(db.Update, db.Connection) { Parameters = { new("b", b), new("id", 1) } };
                await update.ExecuteNonQueryAsync(Ct);
            }),
        };

        foreach (var (_, write) in variants)
        {
            for (var i = 0; i < 100; i++)
            {
                await write(i);
            }
        }

        var perRound = variants.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < Rounds; round++)
        {
            for (var k = 0; k < variants.Length; k++)
            {
                var v = (k + round) % variants.Length;
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < WritesPerRound; i++)
                {
                    await variants[v].Write(i);
                }

                perRound[v].Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds / WritesPerRound);
            }
        }

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"{Rounds} rounds x {WritesPerRound} writes per variant; µs per write (mean of all, median round), ratio to the plain transaction (median of the rounds' ratios)");
        output?.WriteLine("| variant | µs/write | median round | × plain |");
        output?.WriteLine("|---|---|---|---|");
        for (var v = 0; v < variants.Length; v++)
        {
            var ratio = Median(perRound[v].Zip(perRound[0], (x, p) => x / p));
            output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {variants[v].Name} | {perRound[v].Average():F0} | {Median(perRound[v]):F0} | {ratio:F2} |"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
