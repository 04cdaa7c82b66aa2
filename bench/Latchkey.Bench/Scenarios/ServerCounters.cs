namespace Latchkey.Bench.Scenarios;

/// <summary>A server's own count of the requests it served, by request type.</summary>
internal abstract class ServerCounters : IAsyncDisposable
{
    public abstract Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>Whether the client sent <paramref name="request"/> itself (a round trip), rather than a script running it on the server.</summary>
    public virtual bool IsRoundTrip(string request) => true;

    /// <summary>The first host:port of a connection string such as <c>redis://a:1,b:2?x=y</c>.</summary>
    protected static string FirstHost(string connectionString)
    {
        var rest = connectionString[(connectionString.IndexOf("://", StringComparison.Ordinal) + 3)..];
        return rest.Split(',', '?', '/')[0];
    }
}
