using System.Globalization;
using StackExchange.Redis;

namespace Latchkey.Bench.Scenarios;

/// <summary>Redis's <c>INFO commandstats</c>: calls per command since the server started.</summary>
internal sealed class RedisCounters(ConnectionMultiplexer connection, string host) : ServerCounters
{
    // commandstats also counts the commands a script runs (GET, SET, PUBLISH, ...); these are the ones only a client sends.
    private static readonly HashSet<string> ClientRequests = new(StringComparer.Ordinal)
    {
        "eval", "evalsha", "subscribe", "unsubscribe", "ssubscribe", "sunsubscribe", "script|load", "ping", "echo", "client|setinfo", "cluster|nodes", "config|get",
    };

    public static async Task<RedisCounters> ConnectAsync(string connectionString)
    {
        var host = FirstHost(connectionString);
        return new RedisCounters(await ConnectionMultiplexer.ConnectAsync($"{host},allowAdmin=true"), host);
    }

    public override async Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken)
    {
        var server = connection.GetServer(host);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in (await server.InfoAsync("commandstats")).SelectMany(group => group))
        {
            // cmdstat_evalsha:calls=2000,usec=...,rejected_calls=0,failed_calls=0
            var calls = value.Split(',').FirstOrDefault(p => p.StartsWith("calls=", StringComparison.Ordinal));
            if (calls is not null)
            {
                counts[key.Replace("cmdstat_", string.Empty, StringComparison.Ordinal)] = long.Parse(calls.AsSpan(6), CultureInfo.InvariantCulture);
            }
        }

        // The INFO calls that read these counters are not the lock's.
        counts.Remove("info");
        return counts;
    }

    public override bool IsRoundTrip(string request) => ClientRequests.Contains(request);

    public override async ValueTask DisposeAsync() => await connection.DisposeAsync();
}
