namespace Latchkey;

/// <summary>One host of a connection string.</summary>
/// <param name="Host">A host name or an IP address (IPv6 without brackets).</param>
/// <param name="Port">The port, if given.</param>
public sealed record LockEndpoint(string Host, int? Port)
{
    /// <summary>The port given, or <paramref name="defaultPort"/>.</summary>
    public int PortOr(int defaultPort) => Port ?? defaultPort;

    /// <inheritdoc/>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
