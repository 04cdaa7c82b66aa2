using System.Diagnostics;
using System.Globalization;
using Latchkey.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Bench.Scenarios;

/// <summary>
/// <c>round-trips</c>: the requests one uncontended acquire+release cycle sends, counted by the server itself
/// (Redis: <c>INFO commandstats</c>; etcd: <c>grpc_server_handled_total</c> on <c>/metrics</c>), read before and
/// after <c>--cycles</c> sequential cycles on one lock. Was <c>RedisMeasurementTests.UncontendedCycle_TakesTwoCommands</c>.
/// Heartbeats and keep-alives of the run show up too, as the few requests outside the per-cycle ones.
/// </summary>
internal sealed class RoundTripsCommand(IAnsiConsole console) : AsyncCommand<RoundTripsSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RoundTripsSettings settings, CancellationToken cancellationToken)
    {
        ServerCounters counters = settings.Backend.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            ? await RedisCounters.ConnectAsync(settings.Backend)
            : new EtcdCounters(settings.Backend);
        await using (counters)
        {
            await using var provider = await Connections.OpenAsync(settings.Backend, cancellationToken);
            var theLock = provider.CreateLock("latchkey-round-trips/" + Guid.NewGuid().ToString("N")[..12]);
            await (await theLock.AcquireAsync(cancellationToken: cancellationToken)).ReleaseAsync();

            var before = await counters.ReadAsync(cancellationToken);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < settings.Cycles; i++)
            {
                await (await theLock.AcquireAsync(cancellationToken: cancellationToken)).ReleaseAsync();
            }

            clock.Stop();
            var after = await counters.ReadAsync(cancellationToken);

            var table = new Table().Border(TableBorder.Rounded)
                .Title($"[bold]{settings.Cycles:N0} uncontended cycles[/] on {Markup.Escape(settings.Backend)}");
            table.AddColumn("request");
            table.AddColumn(new TableColumn("count").RightAligned());
            table.AddColumn(new TableColumn("per cycle").RightAligned());
            var roundTrips = 0L;
            var deltas = after.Select(kv => (Request: kv.Key, Count: kv.Value - before.GetValueOrDefault(kv.Key))).Where(r => r.Count > 0);
            foreach (var (request, count) in deltas.OrderByDescending(r => counters.IsRoundTrip(r.Request)).ThenByDescending(r => r.Count))
            {
                var sent = counters.IsRoundTrip(request);
                roundTrips += sent ? count : 0;
                table.AddRow(
                    sent ? Markup.Escape(request) : $"[grey]{Markup.Escape(request)} (run by a script)[/]",
                    count.ToString("N0", CultureInfo.InvariantCulture),
                    (count / (double)settings.Cycles).ToString("0.000", CultureInfo.InvariantCulture));
            }

            table.AddRow("[bold]round trips[/]", roundTrips.ToString("N0", CultureInfo.InvariantCulture), $"[bold]{(roundTrips / (double)settings.Cycles).ToString("0.000", CultureInfo.InvariantCulture)}[/]");
            console.Write(table);
            console.MarkupLine(string.Create(
                CultureInfo.InvariantCulture,
                $"[grey]{settings.Cycles / clock.Elapsed.TotalSeconds:N0} cycles/s one after another, {clock.Elapsed.TotalMicroseconds / settings.Cycles:N0} µs a cycle[/]"));
        }

        return 0;
    }
}
