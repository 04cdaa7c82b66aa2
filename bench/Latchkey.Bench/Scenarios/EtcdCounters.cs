using System.Globalization;
using System.Text.RegularExpressions;

namespace Latchkey.Bench.Scenarios;

/// <summary>etcd's <c>grpc_server_handled_total</c> on its <c>/metrics</c> page: finished calls per gRPC method.</summary>
internal sealed partial class EtcdCounters(string connectionString) : ServerCounters
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri("http://" + FirstHost(connectionString)) };

    public override async Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var page = await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
        foreach (Match match in HandledLine().Matches(page))
        {
            var method = match.Groups["method"].Value;
            counts[method] = counts.GetValueOrDefault(method) + (long)double.Parse(match.Groups["count"].Value, CultureInfo.InvariantCulture);
        }

        // Streams (Watch, LeaseKeepAlive) count when they end; their messages are not counted here.
        return counts;
    }

    public override ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"^grpc_server_handled_total\{[^}]*grpc_method=""(?<method>[^""]+)""[^}]*\} (?<count>\S+)$", RegexOptions.Multiline)]
    private static partial Regex HandledLine();
}
