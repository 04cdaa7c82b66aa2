namespace Latchkey.Bench.Peers;

/// <summary>Reads the one <c>host:port</c> a peer connection string names.</summary>
internal static class PeerAddress
{
    public static LockEndpoint Single(LockConnectionString connectionString, int defaultPort)
    {
        if (connectionString.Endpoints.Count != 1 || connectionString.Path.Trim('/').Length > 0)
        {
            throw new FormatException($"{connectionString.Scheme}:// takes exactly one host:port and no path, as in '{connectionString.Scheme}://127.0.0.1:{defaultPort}'; got '{connectionString}'.");
        }

        var endpoint = connectionString.Endpoints[0];
        return endpoint with { Port = endpoint.PortOr(defaultPort) };
    }

    /// <summary>The peers serve plain exclusive locks only; the bench asks for nothing else.</summary>
    public static void RequireExclusiveLock(Backend.LockRequest request, string scheme)
    {
        if (request.Kind != LockKind.Lock || request.Access != LockAccess.Exclusive || request.Permits != 1)
        {
            throw new NotSupportedException($"{scheme}:// is a bench peer and serves exclusive locks only; got {request.Kind} ({request.Access}, {request.Permits} permits).");
        }
    }

    public static NotSupportedException NoStatus(string scheme) =>
        new($"{scheme}:// is a bench peer: it can acquire and release, but it cannot report or watch a lock's status.");

    public static LockProviderCapabilities Capabilities(string scheme, bool leases) => new()
    {
        Backend = scheme,
        Fair = false,
        HerdFree = false,
        DurableFencingTokens = false,
        CrossMachine = true,
        CrossProcess = true,
        Leases = leases,
    };
}
